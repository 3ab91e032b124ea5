<?php
// Oracle for the PHP reader of `git-split deps`: the internal references of
// a checkout, as PHP's tokenizer and composer's autoloader see them.
//
//   php tests/oracles/php_imports.php CHECKOUT_DIR
//
// Needs php-cli >= 8.0 (PhpToken) and composer (Debian: `apt-get install
// php-cli composer`). Offline: composer only runs `dump-autoload`.
//
// References are found with PhpToken::tokenize (so comments, docblocks,
// strings, heredocs, nowdocs and inline HTML are PHP's own business): `use`
// imports (plain, aliased, grouped, `use function`, `use const`), trait `use`
// in class bodies, and qualified / fully qualified / `namespace\` names in
// code, resolved against `namespace` and `use` aliases by PHP's rules. A name
// followed by `(` is a function call unless it follows `new` or names an
// attribute; `\strlen()`-style global calls are skipped. A `use` whose alias
// qualifies other names imports a namespace and is dropped.
//
// Resolution: for every composer.json outside vendor/ directories, a copy
// of the checkout gets `composer dump-autoload -o --dev` (autoload-dev
// included); class names go to composer's own ClassLoader::findFile, fed with
// the generated maps (classmap, PSR-4, PSR-0), in composer.json path order. Functions go to the file among
// the generated `autoload_files.php` that declares them, as PHP reports it
// after loading those files in a child process.
//
// Prints one JSON object per line, sorted: {"from":..,"line":..,"to":..}.

if ($argc !== 2 || !is_dir($argv[1])) {
    fwrite(STDERR, "usage: php php_imports.php CHECKOUT_DIR\n");
    exit(2);
}
$root = rtrim(realpath($argv[1]), '/');

/** Every file below $root (relative paths, sorted), skipping .git. */
function tree_files(string $root): array
{
    $out = [];
    $it = new RecursiveIteratorIterator(
        new RecursiveCallbackFilterIterator(
            new RecursiveDirectoryIterator($root, FilesystemIterator::SKIP_DOTS),
            fn ($f) => $f->getFilename() !== '.git'
        )
    );
    foreach ($it as $file) {
        if ($file->isFile()) {
            $out[] = substr($file->getPathname(), strlen($root) + 1);
        }
    }
    sort($out, SORT_STRING);
    return $out;
}

function fail(string $message): never
{
    fwrite(STDERR, "php_imports.php: $message\n");
    exit(1);
}

function run(array $cmd, ?string $cwd = null): string
{
    $proc = proc_open($cmd, [1 => ['pipe', 'w'], 2 => ['pipe', 'w']], $pipes, $cwd, null);
    $out = stream_get_contents($pipes[1]);
    $err = stream_get_contents($pipes[2]);
    if (proc_close($proc) !== 0) {
        fail(implode(' ', $cmd) . " failed: $err$out");
    }
    return $out;
}

// ---------------------------------------------------------------------------
// References, from PHP's tokens

/** @return list<array{line:int, name:string, kind:string}> */
function references(string $code): array
{
    $tokens = array_values(array_filter(
        PhpToken::tokenize($code),
        fn ($t) => !$t->is([T_WHITESPACE, T_COMMENT, T_DOC_COMMENT, T_OPEN_TAG, T_INLINE_HTML])
    ));
    $n = count($tokens);
    $refs = [];
    $ns = '';
    $aliases = [];       // lower-cased alias => [full name, index in $refs]
    $namespaceRefs = []; // index in $refs => true: a `use` whose alias qualifies names
    $braces = 0;
    $parens = 0;
    $brackets = 0;
    $classBodies = [];
    $pendingClass = null;
    $attribute = null;
    $prev = null; // previous significant token
    $declaring = false; // after `function`, `fn` (and `&`) or `const`: a name, even a keyword

    $qualify = function (string $name) use (&$ns, &$aliases, &$namespaceRefs): string {
        if ($name[0] === '\\') {
            return substr($name, 1);
        }
        if (strncasecmp($name, 'namespace\\', 10) === 0) {
            return ltrim($ns . '\\' . substr($name, 10), '\\');
        }
        $parts = explode('\\', $name, 2);
        $key = strtolower($parts[0]);
        if (isset($aliases[$key])) {
            [$full, $index] = $aliases[$key];
            if (isset($parts[1])) {
                $namespaceRefs[$index] = true;
                return $full . '\\' . $parts[1];
            }
            return $full;
        }
        return ltrim($ns . '\\' . $name, '\\');
    };
    $isName = fn ($t) => $t !== null && $t->is([T_STRING, T_NAME_QUALIFIED, T_NAME_FULLY_QUALIFIED]);

    for ($i = 0; $i < $n; $i++) {
        $t = $tokens[$i];
        $next = $tokens[$i + 1] ?? null;
        $inClassBody = $classBodies !== [] && end($classBodies) === $braces;
        if ($t->is(T_HALT_COMPILER)) {
            break;
        }
        if ($declaring) {
            // `function namespace()`, `const USE = 1`: PHP lexes the keyword,
            // its parser reads a name. A closure's `(` is no name.
            $declaring = $t->text === '&';
            if ($t->text !== '(') {
                $prev = $t;
                continue;
            }
        }
        if ($t->is([T_FUNCTION, T_FN, T_CONST])) {
            $declaring = true;
            $prev = $t;
            continue;
        }
        if ($t->is(T_NAMESPACE) && $next !== null && !$next->is(T_NS_SEPARATOR)) {
            $ns = $isName($next) ? ltrim($next->text, '\\') : '';
            $aliases = [];
            if ($isName($next)) {
                $i++;
            }
            $prev = $t;
            continue;
        }
        if ($t->is(T_USE)) {
            if ($prev !== null && $prev->text === ')') {
                $prev = $t; // a closure's use
                continue;
            }
            if ($inClassBody) {
                // Trait use: names up to `;` or `{`.
                for ($i++; $i < $n && $isName($tokens[$i]); $i++) {
                    $refs[] = ['line' => $tokens[$i]->line, 'name' => $qualify($tokens[$i]->text), 'kind' => 'class'];
                    if (($tokens[$i + 1] ?? null)?->text !== ',') {
                        break;
                    }
                    $i++;
                }
                $prev = $tokens[$i] ?? $t;
                continue;
            }
            $i = import_use($tokens, $i + 1, $refs, $aliases);
            $prev = $tokens[$i] ?? $t;
            continue;
        }
        if ($t->is([T_CLASS, T_INTERFACE, T_TRAIT, T_ENUM]) && !($prev !== null && $prev->is([T_DOUBLE_COLON, T_OBJECT_OPERATOR, T_NULLSAFE_OBJECT_OPERATOR]))) {
            $pendingClass = $parens;
        }
        switch ($t->text) {
            case '{':
            case '${':
                $braces++;
                if ($pendingClass === $parens) {
                    $classBodies[] = $braces;
                    $pendingClass = null;
                }
                break;
            case '}':
                if ($classBodies !== [] && end($classBodies) === $braces) {
                    array_pop($classBodies);
                }
                $braces--;
                break;
            case '(':
                $parens++;
                break;
            case ')':
                $parens--;
                break;
            case '#[':
            case '[':
                $brackets++;
                if ($t->text === '#[') {
                    $attribute = [$brackets, $parens];
                }
                break;
            case ']':
                if ($attribute !== null && $attribute[0] === $brackets) {
                    $attribute = null;
                }
                $brackets--;
                break;
        }
        if ($t->is([T_NAME_QUALIFIED, T_NAME_FULLY_QUALIFIED, T_NAME_RELATIVE])) {
            $classPosition = $prev !== null && ($prev->is([T_NEW, T_ATTRIBUTE])
                || ($prev->text === ',' && $attribute === [$brackets, $parens]));
            $called = !$classPosition && $next !== null && $next->text === '(';
            $global = $t->is(T_NAME_FULLY_QUALIFIED) && substr_count($t->text, '\\') === 1;
            if (!($called && $global)) {
                $refs[] = ['line' => $t->line, 'name' => $qualify($t->text), 'kind' => $called ? 'function' : 'class'];
            }
        }
        $prev = $t;
    }
    // `use App\Billing;` for `Billing\Invoice` imports a namespace, not a
    // class: the qualified names are the references.
    return array_values(array_diff_key($refs, $namespaceRefs));
}

/** Parses a namespace `use` statement from $i; returns the index of its last token. */
function import_use(array $tokens, int $i, array &$refs, array &$aliases): int
{
    $kindOf = function (int &$i, string $default) use ($tokens): string {
        if ($tokens[$i]->is(T_FUNCTION)) {
            $i++;
            return 'function';
        }
        if ($tokens[$i]->is(T_CONST)) {
            $i++;
            return 'const';
        }
        return $default;
    };
    $add = function (int $line, string $name, string $kind, ?string $alias) use (&$refs, &$aliases) {
        $refs[] = ['line' => $line, 'name' => $name, 'kind' => $kind];
        if ($kind === 'class') {
            $short = $alias ?? substr(strrchr('\\' . $name, '\\'), 1);
            $aliases[strtolower($short)] = [$name, count($refs) - 1];
        }
    };
    $alias = function (int &$i) use ($tokens): ?string {
        if (($tokens[$i + 1] ?? null)?->is(T_AS)) {
            $i += 2;
            return $tokens[$i]->text;
        }
        return null;
    };
    $kind = $kindOf($i, 'class');
    for (; isset($tokens[$i]); $i++) {
        $t = $tokens[$i];
        $name = ltrim($t->text, '\\');
        if (($tokens[$i + 1] ?? null)?->is(T_NS_SEPARATOR)) {
            // Group use: prefix \ { members }
            for ($i += 3; isset($tokens[$i]) && $tokens[$i]->text !== '}'; $i++) {
                $memberKind = $kindOf($i, $kind);
                $m = $tokens[$i];
                $add($m->line, $name . '\\' . $m->text, $memberKind, $alias($i));
                if ($tokens[$i + 1]->text === ',') {
                    $i++;
                }
            }
            return $i + 1;
        }
        $add($t->line, $name, $kind, $alias($i));
        if ($tokens[$i + 1]->text !== ',') {
            return $i + 1;
        }
        $i++;
    }
    return $i;
}

// ---------------------------------------------------------------------------
// Resolution, by composer

$files = tree_files($root);
$manifests = array_values(array_filter(
    $files,
    fn ($f) => basename($f) === 'composer.json' && !in_array('vendor', explode('/', dirname($f)), true)
));

$work = sys_get_temp_dir() . '/php-imports-oracle-' . getmypid();
register_shutdown_function(fn () => run(['rm', '-rf', $work]));
$env = ['COMPOSER_HOME' => "$work/home", 'COMPOSER_NO_INTERACTION' => '1', 'COMPOSER_DISABLE_NETWORK' => '1'];
foreach ($env as $k => $v) {
    putenv("$k=$v");
}

$loaders = [];      // [copy root, ClassLoader]
$functionFile = []; // lower-cased function name => relative file
foreach ($manifests as $k => $manifest) {
    $copy = "$work/copy$k";
    run(['mkdir', '-p', $copy]);
    run(['cp', '-a', "$root/.", $copy]);
    run(['rm', '-rf', "$copy/.git"]);
    $dir = dirname("$copy/$manifest");
    if (json_decode(file_get_contents("$dir/composer.json")) === null) {
        continue; // composer would refuse it; the reader skips it too
    }
    run(['composer', 'dump-autoload', '-o', '--dev', '--no-plugins', '--no-scripts', '-q', '-d', $dir]);
    $gen = "$dir/vendor/composer";
    if (!class_exists(Composer\Autoload\ClassLoader::class, false)) {
        require "$gen/ClassLoader.php"; // one composer version: the same class in every copy
    }
    $loader = new Composer\Autoload\ClassLoader("$dir/vendor");
    foreach (require "$gen/autoload_namespaces.php" as $prefix => $paths) {
        $loader->set($prefix, $paths);
    }
    foreach (require "$gen/autoload_psr4.php" as $prefix => $paths) {
        $loader->setPsr4($prefix, $paths);
    }
    $loader->addClassMap(require "$gen/autoload_classmap.php");
    $loaders[] = [realpath($copy), $loader];
    if (is_file("$gen/autoload_files.php")) {
        $autoloadFiles = array_values(require "$gen/autoload_files.php");
        // PHP itself says which functions these files declare, in a child
        // process so the oracle's own function table stays clean.
        $probe = 'foreach (json_decode($argv[1]) as $f) { require_once $f; }'
            . ' foreach (get_defined_functions()["user"] as $fn) {'
            . ' echo $fn, "\t", (new ReflectionFunction($fn))->getFileName(), "\n"; }';
        $out = run(['php', '-r', $probe, json_encode($autoloadFiles)]);
        foreach (array_filter(explode("\n", $out)) as $line) {
            [$fn, $file] = explode("\t", $line);
            $rel = relative(realpath($copy), $file);
            if ($rel !== null) {
                $functionFile[$fn] ??= $rel;
            }
        }
    }
}

function relative(string $copy, string $abs): ?string
{
    $real = realpath($abs);
    if ($real === false || !str_starts_with($real, $copy . '/')) {
        return null;
    }
    return substr($real, strlen($copy) + 1);
}

function resolve_class(array $loaders, string $class): ?string
{
    foreach ($loaders as [$copy, $loader]) {
        $file = $loader->findFile($class);
        if ($file !== false) {
            $rel = relative($copy, $file);
            // Composer's own runtime classes live in the generated vendor/.
            if ($rel !== null && !str_contains("/$rel", '/vendor/composer/')) {
                return $rel;
            }
        }
    }
    return null;
}

$lines = [];
foreach ($files as $from) {
    if (!preg_match('/\.(php|phtml)$/', $from)) {
        continue;
    }
    try {
        $refs = references(file_get_contents("$root/$from"));
    } catch (ParseError $e) {
        continue;
    }
    foreach ($refs as $ref) {
        $to = match ($ref['kind']) {
            'class' => resolve_class($loaders, $ref['name']),
            'function' => $functionFile[strtolower($ref['name'])] ?? null,
            default => null,
        };
        if ($to !== null) {
            $lines[] = json_encode(['from' => $from, 'line' => $ref['line'], 'to' => $to], JSON_UNESCAPED_SLASHES);
        }
    }
}
sort($lines, SORT_STRING);
foreach ($lines as $line) {
    echo $line, "\n";
}

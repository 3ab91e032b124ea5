//! The scanner: `use` imports, trait uses, namespaces and qualified names
//! read from the lexer's tokens, and the classes and functions a file
//! declares.

use std::collections::HashMap;

use super::super::{Import, ScanError};
use super::lex::{Kind, Lexer, LineCounter, Token};
use super::{CONST, FUNCTION};

/// Finds the references in one source file (already valid UTF-8).
pub fn scan(src: &str) -> Result<Vec<Import>, ScanError> {
    let mut scanner = Scanner::new(src.as_bytes());
    scanner.run()?;
    Ok(scanner.imports)
}

/// What kind of symbol a PHP file declares.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum DeclKind {
    /// A class, interface, trait or enum.
    Class,
    /// A named function outside any class body.
    Function,
}

/// One class or function a PHP file declares.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Declaration {
    /// Class or function.
    pub kind: DeclKind,
    /// The fully qualified name, without a leading `\`.
    pub name: String,
}

/// The classes and functions `src` declares, in order; what a file that
/// does not lex declares before the trouble.
pub fn declarations(src: &str) -> Vec<Declaration> {
    let mut scanner = Scanner::new(src.as_bytes());
    // A file composer cannot lex still declares what came before the trouble.
    let _ = scanner.run();
    scanner.decls
}

/// What kind of symbol an import names.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Symbol {
    Class,
    Function,
    Const,
}

impl Symbol {
    pub(super) fn of(import: &Import) -> Symbol {
        match import.names.first().map(String::as_str) {
            Some(FUNCTION) => Symbol::Function,
            Some(CONST) => Symbol::Const,
            _ => Symbol::Class,
        }
    }

    fn names(self) -> Vec<String> {
        match self {
            Symbol::Class => Vec::new(),
            Symbol::Function => vec![FUNCTION.to_owned()],
            Symbol::Const => vec![CONST.to_owned()],
        }
    }
}

/// The keywords that change how the scanner reads what follows.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Keyword {
    Use,
    Namespace,
    /// `class`, `interface`, `trait`: a class body follows.
    Class,
    /// `enum`, a keyword only when a name follows.
    Enum,
    New,
    /// `function` or `fn`.
    Function,
    Const,
    HaltCompiler,
}

fn keyword(text: &[u8]) -> Option<Keyword> {
    // By length first: nearly every identifier is ruled out by one compare.
    let candidates: &[(&[u8], Keyword)] = match text.len() {
        2 => &[(b"fn", Keyword::Function)],
        3 => &[(b"use", Keyword::Use), (b"new", Keyword::New)],
        4 => &[(b"enum", Keyword::Enum)],
        5 => &[(b"class", Keyword::Class), (b"const", Keyword::Const), (b"trait", Keyword::Class)],
        8 => &[(b"function", Keyword::Function)],
        9 => &[(b"interface", Keyword::Class), (b"namespace", Keyword::Namespace)],
        15 => &[(b"__halt_compiler", Keyword::HaltCompiler)],
        _ => return None,
    };
    candidates.iter().find(|(word, _)| word.eq_ignore_ascii_case(text)).map(|&(_, kw)| kw)
}

/// What the previous token was, as far as the next name's meaning goes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Prev {
    Other,
    /// `->`, `?->`, `::`: a member name follows.
    Member,
    New,
    /// `function` or `fn` (and a `&` after it): a declared name follows.
    Function,
    /// `const`: a constant name follows.
    Const,
    /// `)`: a `use` here is a closure's.
    CloseParen,
    /// `#[`, or `,` between attributes: a class name follows.
    Attribute,
    /// `class`, `interface`, `trait`, `enum`: the declared name follows.
    ClassKeyword,
}

/// Reads statements from the tokens: namespaces, `use` imports, class
/// bodies, qualified names, declarations.
struct Scanner<'a> {
    lx: Lexer<'a>,
    lines: LineCounter,
    imports: Vec<Import>,
    decls: Vec<Declaration>,
    namespace: String,
    /// Lower-cased alias of a class or namespace `use` → what it names.
    aliases: HashMap<String, Alias>,
    /// Indexes in `imports` of the `use` imports whose alias qualifies a
    /// name (`Billing\Invoice`): namespaces, not classes.
    namespace_imports: Vec<usize>,
    braces: u32,
    parens: u32,
    brackets: u32,
    /// Brace depths of the open class bodies, innermost last.
    class_bodies: Vec<u32>,
    /// After a class keyword: the paren depth its body's `{` comes at.
    pending_class: Option<u32>,
    /// The bracket and paren depths of the open attribute list.
    attribute: Option<(u32, u32)>,
    prev: Prev,
}

/// What a `use` alias stands for.
struct Alias {
    /// The fully qualified name.
    full: String,
    /// The import that brought it in.
    import: usize,
}

/// Whether the scanner goes on after a token.
#[derive(PartialEq, Eq)]
enum Flow {
    Continue,
    Halt,
}

impl<'a> Scanner<'a> {
    fn new(src: &'a [u8]) -> Scanner<'a> {
        Scanner {
            lx: Lexer::new(src),
            lines: LineCounter::default(),
            imports: Vec::new(),
            decls: Vec::new(),
            namespace: String::new(),
            aliases: HashMap::new(),
            namespace_imports: Vec::new(),
            braces: 0,
            parens: 0,
            brackets: 0,
            class_bodies: Vec::new(),
            pending_class: None,
            attribute: None,
            prev: Prev::Other,
        }
    }

    fn run(&mut self) -> Result<(), ScanError> {
        self.tokens();
        self.drop_namespace_imports();
        match self.lx.error.take() {
            Some(error) => Err(error),
            None => Ok(()),
        }
    }

    /// A `use` of a namespace (`use App\Billing;` for `Billing\Invoice`)
    /// leads to no file: the qualified names that use it are the references.
    fn drop_namespace_imports(&mut self) {
        if self.namespace_imports.is_empty() {
            return;
        }
        self.namespace_imports.sort_unstable();
        let mut index = 0;
        let namespaces = &self.namespace_imports;
        self.imports.retain(|_| {
            index += 1;
            namespaces.binary_search(&(index - 1)).is_err()
        });
    }

    fn tokens(&mut self) {
        while let Some(token) = self.lx.next() {
            match token.kind {
                Kind::Name => {
                    if self.name(token) == Flow::Halt {
                        return;
                    }
                }
                Kind::Qualified => self.reference(token),
                Kind::Punct(b) => self.punct(b),
                Kind::Member => self.prev = Prev::Member,
                Kind::AttrOpen => {
                    self.brackets += 1;
                    self.attribute = Some((self.brackets, self.parens));
                    self.prev = Prev::Attribute;
                }
                Kind::Other => self.prev = Prev::Other,
            }
        }
    }

    fn in_class_body(&self) -> bool {
        self.class_bodies.last() == Some(&self.braces)
    }

    fn punct(&mut self, b: u8) {
        let mut prev = Prev::Other;
        match b {
            b'{' => {
                self.braces += 1;
                if self.pending_class == Some(self.parens) {
                    self.class_bodies.push(self.braces);
                    self.pending_class = None;
                }
            }
            b'}' => {
                if self.in_class_body() {
                    self.class_bodies.pop();
                }
                self.braces = self.braces.saturating_sub(1);
            }
            b'(' => self.parens += 1,
            b')' => {
                self.parens = self.parens.saturating_sub(1);
                prev = Prev::CloseParen;
            }
            b'[' => self.brackets += 1,
            b']' => {
                if self.attribute.is_some_and(|(brackets, _)| brackets == self.brackets) {
                    self.attribute = None;
                }
                self.brackets = self.brackets.saturating_sub(1);
            }
            b',' if self.attribute == Some((self.brackets, self.parens)) => prev = Prev::Attribute,
            b';' if self.pending_class == Some(self.parens) => self.pending_class = None,
            b'&' if self.prev == Prev::Function => prev = Prev::Function,
            _ => {}
        }
        self.prev = prev;
    }

    fn name(&mut self, token: Token) -> Flow {
        let text = self.lx.text(token);
        let prev = std::mem::replace(&mut self.prev, Prev::Other);
        match prev {
            Prev::ClassKeyword => self.declare(DeclKind::Class, text),
            Prev::Function if !self.in_class_body() => self.declare(DeclKind::Function, text),
            Prev::Member | Prev::Function | Prev::Const => {}
            _ => {
                if let Some(kw) = keyword(text) {
                    return self.keyword(kw, prev);
                }
            }
        }
        Flow::Continue
    }

    fn keyword(&mut self, kw: Keyword, prev: Prev) -> Flow {
        match kw {
            Keyword::Use if prev == Prev::CloseParen => {}
            Keyword::Use if self.in_class_body() => self.trait_use(),
            Keyword::Use => self.import_use(),
            Keyword::Namespace => self.namespace(),
            Keyword::Class => {
                self.pending_class = Some(self.parens);
                if prev != Prev::New {
                    self.prev = Prev::ClassKeyword;
                }
            }
            Keyword::Enum => {
                let next = self.peek_name();
                let named = next.is_some_and(|t| {
                    let text = self.lx.text(t);
                    !text.eq_ignore_ascii_case(b"extends") && !text.eq_ignore_ascii_case(b"implements")
                });
                if named {
                    self.pending_class = Some(self.parens);
                    self.prev = Prev::ClassKeyword;
                }
            }
            Keyword::New => self.prev = Prev::New,
            Keyword::Function => self.prev = Prev::Function,
            Keyword::Const => self.prev = Prev::Const,
            Keyword::HaltCompiler => return Flow::Halt,
        }
        Flow::Continue
    }

    fn declare(&mut self, kind: DeclKind, text: &[u8]) {
        let name = self.in_namespace(&String::from_utf8_lossy(text));
        self.decls.push(Declaration { kind, name });
    }

    /// A qualified name in code: a class, or a function when called.
    fn reference(&mut self, token: Token) {
        let class_position = matches!(self.prev, Prev::New | Prev::Attribute);
        self.prev = Prev::Other;
        let line = self.lines.line_at(self.lx.src, token.start);
        let called = !class_position && self.peek_punct(b'(');
        let text = String::from_utf8_lossy(self.lx.text(token));
        let global = text.starts_with('\\') && !text[1..].contains('\\');
        if called && global {
            // `\strlen()`: a global function, never in the tree.
            return;
        }
        let symbol = if called { Symbol::Function } else { Symbol::Class };
        let spec = self.qualify(&text);
        self.imports.push(Import { line, spec, names: symbol.names() });
    }

    /// The fully qualified form of a name written in this file.
    fn qualify(&mut self, name: &str) -> String {
        if let Some(full) = name.strip_prefix('\\') {
            return full.to_owned();
        }
        let relative = name.get(..10).filter(|head| head.eq_ignore_ascii_case("namespace\\"));
        if relative.is_some() {
            return self.in_namespace(&name[10..]);
        }
        let (first, rest) = match name.find('\\') {
            Some(i) => (&name[..i], &name[i..]),
            None => (name, ""),
        };
        match self.aliases.get(&first.to_ascii_lowercase()) {
            Some(alias) => {
                if !rest.is_empty() {
                    self.namespace_imports.push(alias.import);
                }
                format!("{}{rest}", alias.full)
            }
            None => self.in_namespace(name),
        }
    }

    fn in_namespace(&self, name: &str) -> String {
        if self.namespace.is_empty() {
            name.to_owned()
        } else {
            format!("{}\\{name}", self.namespace)
        }
    }

    fn peek_punct(&mut self, b: u8) -> bool {
        self.lx.peek().is_some_and(|t| t.kind == Kind::Punct(b))
    }

    fn peek_name(&mut self) -> Option<Token> {
        self.lx.peek().filter(|t| t.is_name())
    }

    /// The next token if it is the (case-insensitive) word `word`.
    fn eat_word(&mut self, word: &[u8]) -> bool {
        let found = self.peek_name().is_some_and(|t| self.lx.text(t).eq_ignore_ascii_case(word));
        if found {
            self.lx.next();
        }
        found
    }

    fn eat_punct(&mut self, b: u8) -> bool {
        let found = self.peek_punct(b);
        if found {
            self.lx.next();
        }
        found
    }

    /// The kind of symbol a `use` names: `function` or `const` before the
    /// name, else `default`.
    fn symbol_prefix(&mut self, default: Symbol) -> Symbol {
        if self.eat_word(b"function") {
            Symbol::Function
        } else if self.eat_word(b"const") {
            Symbol::Const
        } else {
            default
        }
    }

    /// `use [function|const] A\B [as C], ...;` and `use A\{B, function c};`.
    /// What does not parse is left to the main loop.
    fn import_use(&mut self) {
        let symbol = self.symbol_prefix(Symbol::Class);
        while let Some(token) = self.peek_name() {
            self.lx.next();
            let name = String::from_utf8_lossy(self.lx.text(token));
            let name = name.trim_start_matches('\\');
            if self.eat_punct(b'\\') {
                if self.eat_punct(b'{') {
                    self.group_use(name, symbol);
                }
                break;
            }
            let alias = self.alias();
            self.import(token.start, name.to_owned(), symbol, alias);
            if !self.eat_punct(b',') {
                break;
            }
        }
    }

    /// The members of a group use, after its `{`.
    fn group_use(&mut self, prefix: &str, symbol: Symbol) {
        loop {
            if self.eat_punct(b'}') {
                return;
            }
            let member = self.symbol_prefix(symbol);
            let Some(token) = self.peek_name() else { return };
            self.lx.next();
            let name = format!("{prefix}\\{}", String::from_utf8_lossy(self.lx.text(token)));
            let alias = self.alias();
            self.import(token.start, name, member, alias);
            if !self.eat_punct(b',') && !self.peek_punct(b'}') {
                return;
            }
        }
    }

    fn alias(&mut self) -> Option<String> {
        if !self.eat_word(b"as") {
            return None;
        }
        let token = self.peek_name()?;
        self.lx.next();
        Some(String::from_utf8_lossy(self.lx.text(token)).into_owned())
    }

    fn import(&mut self, start: usize, name: String, symbol: Symbol, alias: Option<String>) {
        if symbol == Symbol::Class {
            let short = alias.unwrap_or_else(|| name.rsplit('\\').next().unwrap_or("").to_owned());
            let alias = Alias { full: name.clone(), import: self.imports.len() };
            self.aliases.insert(short.to_ascii_lowercase(), alias);
        }
        let line = self.lines.line_at(self.lx.src, start);
        self.imports.push(Import { line, spec: name, names: symbol.names() });
    }

    /// `use A, B\C` in a class body: traits, named as class names are.
    fn trait_use(&mut self) {
        while let Some(token) = self.peek_name() {
            self.lx.next();
            let spec = self.qualify(&String::from_utf8_lossy(self.lx.text(token)));
            let line = self.lines.line_at(self.lx.src, token.start);
            self.imports.push(Import::new(line, spec));
            if !self.eat_punct(b',') {
                break;
            }
        }
    }

    /// `namespace A\B;` or `namespace A\B {` or `namespace {`: a new
    /// namespace, with no aliases yet.
    fn namespace(&mut self) {
        let name = match self.peek_name() {
            Some(token) => {
                self.lx.next();
                String::from_utf8_lossy(self.lx.text(token)).trim_start_matches('\\').to_owned()
            }
            None => String::new(),
        };
        self.namespace = name;
        self.aliases.clear();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn specs(src: &str) -> Vec<(u32, String, Vec<String>)> {
        scan(src).unwrap().into_iter().map(|i| (i.line, i.spec, i.names)).collect()
    }

    fn class(line: u32, spec: &str) -> (u32, String, Vec<String>) {
        (line, spec.to_owned(), Vec::new())
    }

    fn func(line: u32, spec: &str) -> (u32, String, Vec<String>) {
        (line, spec.to_owned(), vec![FUNCTION.to_owned()])
    }

    #[test]
    fn use_forms() {
        let src = "<?php\nnamespace App;\nuse A\\B;\nuse \\C\\D as E, F\\G;\nuse function H\\i;\n\
                   use const J\\K;\nuse L\\{M, N\\O as P,\n  function q, const R,};\n";
        let got = specs(src);
        let konst = |l: u32, s: &str| (l, s.to_owned(), vec![CONST.to_owned()]);
        let want = vec![
            class(3, "A\\B"),
            class(4, "C\\D"),
            class(4, "F\\G"),
            func(5, "H\\i"),
            konst(6, "J\\K"),
            class(7, "L\\M"),
            class(7, "L\\N\\O"),
            func(8, "L\\q"),
            konst(8, "L\\R"),
        ];
        assert_eq!(got, want);
    }

    #[test]
    fn names_in_code_are_qualified_as_php_does() {
        let src = "<?php\nnamespace App\\Http;\nuse Acme\\Billing;\nuse Acme\\Other as O, Acme\\Kept;\n\
                   $a = new \\Acme\\Invoice();\n$b = Billing\\Invoice::make();\n$c = \\Acme\\helper(1);\n\
                   $d = O\\X::class;\n$e = Sub\\Y::class;\n$f = namespace\\Z::class;\n\
                   throw new \\Exception(); \\strlen('x'); \\Acme\\Fn\\go();\n";
        // `Billing` and `O` qualify other names: namespaces, dropped.
        let want = vec![
            class(4, "Acme\\Kept"),
            class(5, "Acme\\Invoice"),
            class(6, "Acme\\Billing\\Invoice"),
            func(7, "Acme\\helper"),
            class(8, "Acme\\Other\\X"),
            class(9, "App\\Http\\Sub\\Y"),
            class(10, "App\\Http\\Z"),
            class(11, "Exception"),
            func(11, "Acme\\Fn\\go"),
        ];
        assert_eq!(specs(src), want);
    }

    #[test]
    fn trait_use_closure_use_and_attributes() {
        let src = "<?php\nnamespace App;\nuse Acme\\Loggable;\n#[\\Acme\\Attr(1), Acme\\Other]\n\
                   final class K extends \\Acme\\Base {\n\
                   use Loggable, Local { Loggable::f insteadof Local; }\n\
                   public function use() { $f = function () use ($x) { return $x; }; }\n}\n\
                   enum Suit: string { use \\Acme\\T; }\n$o = new class { use Tr; };\n";
        let want = vec![
            class(3, "Acme\\Loggable"),
            class(4, "Acme\\Attr"),
            class(4, "App\\Acme\\Other"),
            class(5, "Acme\\Base"),
            class(6, "Acme\\Loggable"),
            class(6, "App\\Local"),
            class(9, "Acme\\T"),
            class(10, "App\\Tr"),
        ];
        assert_eq!(specs(src), want);
    }

    #[test]
    fn comments_strings_heredocs_and_html_are_skipped() {
        let src = "<html>use Html\\X; <?xml ?>\n<?php\n// use A\\B; ?> html \\No\\Ref <?php\n\
                   # use C\\D;\n/* use E\\F; */\n/** @see \\G\\H */\n\
                   $s = '\\I\\J' . \"\\K\\L {$x[\"q\"]} \\M\";\n\
                   $h = <<<EOT\n  use N\\O;\n  {$y->f(\\P\\Q::R)}\n  EOT;\n$n = <<<'EOT'\nuse S\\T;\nEOT;\n\
                   echo \\U\\V::class;\n?>\n<p>\\W\\X</p>\n<?= \\Y\\Z::a ?>\n";
        let want = vec![class(10, "P\\Q"), class(15, "U\\V"), class(18, "Y\\Z")];
        assert_eq!(specs(src), want);
    }

    #[test]
    fn member_and_keyword_lookalikes() {
        let src = "<?php\n$x->use; Foo::class; $x->namespace; const USE = 1;\n\
                   function enum() {} enum(1); __halt_compiler(); use Never\\Seen;";
        assert_eq!(specs(src), vec![]);
    }

    #[test]
    fn braced_namespaces_reset_aliases() {
        let src =
            "<?php\nnamespace A { use X\\Y; new Y\\Z; }\nnamespace B { new Y\\Z; }\nnamespace { new Y\\Z; }";
        let want = vec![class(2, "X\\Y\\Z"), class(3, "B\\Y\\Z"), class(4, "Y\\Z")];
        assert_eq!(specs(src), want);
    }

    #[test]
    fn crlf_and_cr_count_lines() {
        assert_eq!(specs("<?php\r\n\r\nuse A\\B;\ruse C\\D;"), vec![class(3, "A\\B"), class(4, "C\\D")]);
    }

    #[test]
    fn unterminated_things_are_errors_with_their_line() {
        for (src, line) in [
            ("<?php\n\n$a = 'abc\nuse A\\B;", 3),
            ("<?php\n$a = \"abc {$x", 2),
            ("<?php\n/* no end", 2),
            ("<?php\n\n$h = <<<EOT\nabc\nEOTX;\n", 3),
            ("<?php\n$h = <<<'EOT'\nabc\n", 2),
        ] {
            assert_eq!(scan(src).unwrap_err().line, line, "{src:?}");
        }
        assert_eq!(specs("no php here <? use A\\B; ?>"), vec![]);
        assert_eq!(specs("<?php"), vec![]);
    }

    #[test]
    fn odd_input_never_panics() {
        let inputs = [
            "<?php \\",
            "<?php <<<",
            "<?php <<<\"A",
            "<?php \"${",
            "<?php }}}}",
            "<?php use A\\{",
            "<?php use A\\",
            "<?php use function",
            "<?php namespace",
            "<?php #[",
            "<?php ?-",
            "<?php \"\\",
            "<?php $h = <<<A\n{$x}",
            "<?php enum",
            "<?php ```",
        ];
        for src in inputs {
            let _ = scan(src);
            let _ = declarations(src);
        }
    }

    #[test]
    fn declarations_of_classes_and_functions() {
        let src = "<?php\nnamespace Acme\\Legacy;\nfinal class A { function m() {} }\ninterface I {}\n\
                   enum E: int {}\nif (!function_exists('f')) { function f() {} }\nfunction &g() {}\n\
                   $x = new class {}; $y = fn() => 1; Foo::class;";
        let got: Vec<(DeclKind, String)> = declarations(src).into_iter().map(|d| (d.kind, d.name)).collect();
        let want = [
            (DeclKind::Class, "Acme\\Legacy\\A"),
            (DeclKind::Class, "Acme\\Legacy\\I"),
            (DeclKind::Class, "Acme\\Legacy\\E"),
            (DeclKind::Function, "Acme\\Legacy\\f"),
            (DeclKind::Function, "Acme\\Legacy\\g"),
        ];
        assert_eq!(got, want.map(|(k, n)| (k, n.to_owned())));
    }
}

// Command go_imports prints the imports of a Go checkout that lead into the
// checkout, as the go command itself sees them: one JSON object per line,
// {"from":"web/api/api.go","line":7,"to":"billing/ledger/"}, sorted.
//
// Usage: go run tests/oracles/go_imports.go CHECKOUT
//
// The checkout must hold a go.work at its root joining its modules. Each
// .go file's imports and their lines come from go/parser; where an import
// path leads is the go command's answer: `go list -e -json PATH...` run in
// the checkout, in workspace mode, offline. A path leads into the checkout
// when the package go list finds has its Dir there and holds Go files;
// the standard library (Dir in GOROOT) and paths go list cannot find
// (a module not in the workspace) are not printed.
//
// Standard library only; needs the go command (Go 1.18 or later) on PATH.
package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"go/parser"
	"go/token"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
)

// use is one import spec of one file.
type use struct {
	from string // checkout-relative, slash-separated
	line int
	path string
}

// ref is one printed line.
type ref struct {
	From string `json:"from"`
	Line int    `json:"line"`
	To   string `json:"to"`
}

func main() {
	if len(os.Args) != 2 {
		fail("usage: go run go_imports.go CHECKOUT")
	}
	root, err := filepath.Abs(os.Args[1])
	if err == nil {
		// go list reports real paths.
		root, err = filepath.EvalSymlinks(root)
	}
	if err != nil {
		fail(err.Error())
	}
	uses := imports(root)
	dirs := resolve(root, uses)
	var refs []ref
	for _, u := range uses {
		if to, ok := dirs[u.path]; ok {
			refs = append(refs, ref{u.from, u.line, to})
		}
	}
	sort.Slice(refs, func(i, j int) bool {
		a, b := refs[i], refs[j]
		if a.From != b.From {
			return a.From < b.From
		}
		if a.Line != b.Line {
			return a.Line < b.Line
		}
		return a.To < b.To
	})
	out := json.NewEncoder(os.Stdout)
	for _, r := range refs {
		if err := out.Encode(r); err != nil {
			fail(err.Error())
		}
	}
}

// imports parses every .go file of the checkout (build tags do not matter:
// a file excluded from one build is still a reference) for its imports.
func imports(root string) []use {
	var uses []use
	fset := token.NewFileSet()
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && d.Name() == ".git" {
			return filepath.SkipDir
		}
		if !d.Type().IsRegular() || !strings.HasSuffix(path, ".go") {
			return nil
		}
		file, err := parser.ParseFile(fset, path, nil, parser.ImportsOnly)
		if err != nil {
			return err
		}
		rel, err := filepath.Rel(root, path)
		if err != nil {
			return err
		}
		for _, spec := range file.Imports {
			p, err := strconv.Unquote(spec.Path.Value)
			if err != nil {
				return fmt.Errorf("%s: %v", fset.Position(spec.Path.Pos()), err)
			}
			line := fset.Position(spec.Path.Pos()).Line
			uses = append(uses, use{filepath.ToSlash(rel), line, p})
		}
		return nil
	})
	if err != nil {
		fail(err.Error())
	}
	return uses
}

// listed is what `go list -json` says of one package.
type listed struct {
	ImportPath     string
	Dir            string
	GoFiles        []string
	CgoFiles       []string
	IgnoredGoFiles []string
	InvalidGoFiles []string
}

// resolve asks the go command where each distinct import path is, and
// returns the checkout-relative directory ("dir/") of those in the checkout.
func resolve(root string, uses []use) map[string]string {
	work := filepath.Join(root, "go.work")
	if _, err := os.Stat(work); err != nil {
		fail("no go.work at the root of the checkout: " + err.Error())
	}
	seen := map[string]bool{}
	var paths []string
	for _, u := range uses {
		// Local ("./x") paths are an error in module mode, and a path
		// starting with "-" would be read as a flag.
		if seen[u.path] || u.path == "" || strings.HasPrefix(u.path, ".") || strings.HasPrefix(u.path, "-") {
			continue
		}
		seen[u.path] = true
		paths = append(paths, u.path)
	}
	sort.Strings(paths)
	dirs := map[string]string{}
	for start := 0; start < len(paths); start += 500 {
		end := start + 500
		if end > len(paths) {
			end = len(paths)
		}
		for _, p := range list(root, work, paths[start:end]) {
			files := len(p.GoFiles) + len(p.CgoFiles) + len(p.IgnoredGoFiles) + len(p.InvalidGoFiles)
			if p.Dir == "" || files == 0 {
				continue
			}
			rel, err := filepath.Rel(root, p.Dir)
			if err != nil || rel == ".." || strings.HasPrefix(rel, ".."+string(filepath.Separator)) {
				continue
			}
			to := ""
			if rel != "." {
				to = filepath.ToSlash(rel) + "/"
			}
			dirs[p.ImportPath] = to
		}
	}
	return dirs
}

// list runs `go list -e -json` on paths in the checkout's workspace,
// offline, whatever GOFLAGS the caller has set.
func list(root, work string, paths []string) []listed {
	cmd := exec.Command("go", append([]string{"list", "-e", "-json"}, paths...)...)
	cmd.Dir = root
	cmd.Env = append(os.Environ(),
		"GOWORK="+work, "GOFLAGS=", "GOPROXY=off", "GOSUMDB=off", "GO111MODULE=on", "GOTOOLCHAIN=local")
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		fail(fmt.Sprintf("go list: %v\n%s", err, stderr.String()))
	}
	var out []listed
	dec := json.NewDecoder(&stdout)
	for {
		var p listed
		if err := dec.Decode(&p); err == io.EOF {
			return out
		} else if err != nil {
			fail("go list output: " + err.Error())
		}
		out = append(out, p)
	}
}

func fail(msg string) {
	fmt.Fprintln(os.Stderr, "go_imports:", msg)
	os.Exit(1)
}

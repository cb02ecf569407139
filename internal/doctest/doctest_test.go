package doctest

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"time"
)

// docHost and docPort are the address the pages use; every docHost:docPort
// and every other docPort (PORT=8080) of a runnable block is replaced by the
// test server's.
const (
	docHost = "127.0.0.1"
	docPort = "8080"
)

var docPortRE = regexp.MustCompile(`\b` + docPort + `\b`)

// pageTimeout bounds one page: server start-up, every block, shutdown.
const pageTimeout = 20 * time.Second

var (
	serveMarker = regexp.MustCompile(`(?m)^<!-- doctest: serve ([^>]*?) -->$`)
	needsMarker = regexp.MustCompile(`(?m)^<!-- doctest-needs: ([^>]*?) -->$`)
)

// page is one Markdown file's runnable part.
type page struct {
	name   string
	flags  []string
	needs  []string // commands besides bash and curl
	blocks []string
}

// step is one command of a page and the output the page shows for it
// (want is empty when the page shows none).
type step struct {
	cmd  string
	want []string
}

func TestDocs(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("the recipes are POSIX shell")
	}
	for _, tool := range []string{"bash", "curl"} {
		if _, err := exec.LookPath(tool); err != nil {
			if ci, _ := strconv.ParseBool(os.Getenv("CI")); ci {
				t.Fatalf("%s not found (CI=true: the runnable docs must run)", tool)
			}
			t.Skipf("%s not found: runnable docs not checked", tool)
		}
	}
	root, err := filepath.Abs(filepath.Join("..", ".."))
	if err != nil {
		t.Fatal(err)
	}
	files, err := filepath.Glob(filepath.Join(root, "docs", "*.md"))
	if err != nil {
		t.Fatal(err)
	}
	files = append([]string{filepath.Join(root, "README.md")}, files...)
	var pages []page
	for _, f := range files {
		p, err := readPage(f)
		if err != nil {
			t.Fatal(err)
		}
		if p != nil {
			pages = append(pages, *p)
		}
	}
	if len(pages) == 0 {
		t.Fatal("no page carries a doctest marker")
	}

	bin := t.TempDir()
	build := exec.Command("go", "build", "-buildvcs=false", "-o", bin, "github.com/vapisec/vapisec/cmd/vapisec")
	build.Dir = root
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build ./cmd/vapisec: %v\n%s", err, out)
	}
	for _, p := range pages {
		t.Run(p.name, func(t *testing.T) { runPage(t, bin, p) })
	}
}

// readPage returns the runnable part of a Markdown file, nil when it has
// no doctest marker. Runnable blocks on a page without a marker are an
// error, as is a second marker.
func readPage(file string) (*page, error) {
	b, err := os.ReadFile(file)
	if err != nil {
		return nil, err
	}
	text := string(b)
	name := filepath.Base(file)
	markers := serveMarker.FindAllStringSubmatch(text, -1)
	var blocks []string
	var cur []string
	in, run := false, false
	for _, line := range strings.Split(text, "\n") {
		switch {
		case !in && strings.HasPrefix(line, "```"):
			in = true
			run = strings.TrimSpace(strings.TrimPrefix(line, "```")) == "sh run"
			cur = nil
		case in && strings.HasPrefix(line, "```"):
			in = false
			if run {
				blocks = append(blocks, strings.Join(cur, "\n"))
			}
		case in:
			cur = append(cur, line)
		}
	}
	switch {
	case len(markers) > 1:
		return nil, fmt.Errorf("%s: %d doctest markers, want one", name, len(markers))
	case len(markers) == 0 && len(blocks) > 0:
		return nil, fmt.Errorf("%s: %d runnable blocks but no <!-- doctest: serve … --> marker", name, len(blocks))
	case len(markers) == 0:
		return nil, nil
	case len(blocks) == 0:
		return nil, fmt.Errorf("%s: doctest marker but no ```sh run block", name)
	}
	p := &page{name: name, flags: strings.Fields(markers[0][1]), blocks: blocks}
	for _, m := range needsMarker.FindAllStringSubmatch(text, -1) {
		p.needs = append(p.needs, strings.Fields(m[1])...)
	}
	return p, nil
}

// steps splits a block into commands, each with the comment lines that
// follow it directly. A command continues over lines ending in a
// backslash and over lines inside an open "$(" or quote; the split only
// needs to be right for commands that show an output.
func steps(block string) []step {
	var out []step
	var cmd []string
	expecting := false
	flush := func() {
		if len(cmd) > 0 {
			out = append(out, step{cmd: strings.Join(cmd, "\n")})
			cmd = nil
		}
	}
	for _, line := range strings.Split(block, "\n") {
		trimmed := strings.TrimSpace(line)
		switch {
		case trimmed == "":
			flush()
			expecting = false
		case strings.HasPrefix(trimmed, "#"):
			if len(cmd) > 0 && !continues(cmd) {
				flush()
				expecting = true
			}
			if expecting {
				last := &out[len(out)-1]
				last.want = append(last.want, strings.TrimSpace(strings.TrimPrefix(trimmed, "#")))
			}
		default:
			if len(cmd) > 0 && !continues(cmd) {
				flush()
			}
			expecting = false
			cmd = append(cmd, line)
		}
	}
	flush()
	return out
}

// continues reports whether the command so far goes on on the next line:
// it ends in a backslash, or a quote, "$(" or "(" is still open. It is a
// small shell lexer (quotes, backslashes, comments, parentheses), enough
// for the recipes of the docs.
func continues(cmd []string) bool {
	s := strings.Join(cmd, "\n")
	if strings.HasSuffix(strings.TrimRight(s, " \t"), `\`) {
		return true
	}
	single, double, comment := false, false, false
	depth := 0
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case comment:
			comment = c != '\n'
		case single:
			single = c != '\''
		case c == '\\':
			i++ // the next byte is quoted
		case double:
			double = c != '"'
		case c == '\'':
			single = true
		case c == '"':
			double = true
		case c == '#' && (i == 0 || strings.IndexByte(" \t\n;(", s[i-1]) >= 0):
			comment = true
		case c == '(':
			depth++
		case c == ')':
			depth--
		}
	}
	return single || double || depth > 0
}

// script is the bash program of a page: its blocks with every command that
// shows an output wrapped in markers, so its output can be found again.
func script(p page, hostPort string, devDir [2]string) (string, []step) {
	var b strings.Builder
	var wants []step
	b.WriteString("set -e\n")
	for _, block := range p.blocks {
		_, port, _ := strings.Cut(hostPort, ":")
		block = strings.ReplaceAll(block, docHost+":"+docPort, hostPort)
		block = docPortRE.ReplaceAllString(block, port)
		if devDir[0] != "" {
			block = strings.ReplaceAll(block, devDir[0], devDir[1])
		}
		for _, s := range steps(block) {
			if len(s.want) == 0 {
				b.WriteString(s.cmd + "\n")
				continue
			}
			fmt.Fprintf(&b, "printf '\\n@@doctest-begin %d\\n'\n%s\nprintf '\\n@@doctest-end %d\\n'\n", len(wants), s.cmd, len(wants))
			wants = append(wants, s)
		}
	}
	return b.String(), wants
}

func runPage(t *testing.T, bin string, p page) {
	for _, tool := range p.needs {
		if _, err := exec.LookPath(tool); err != nil {
			if ci, _ := strconv.ParseBool(os.Getenv("CI")); ci {
				t.Fatalf("%s needs %s, which is not installed (CI=true: .ci/run installs it)", p.name, tool)
			}
			t.Skipf("%s needs %s, which is not installed", p.name, tool)
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), pageTimeout)
	defer cancel()
	// A --dev-dir of the page is a fixed path: the test uses its own.
	flags := append([]string(nil), p.flags...)
	var devDir [2]string
	for i := range flags {
		if flags[i] == "--dev-dir" && i+1 < len(flags) {
			devDir = [2]string{flags[i+1], filepath.Join(t.TempDir(), "dev")}
			flags[i+1] = devDir[1]
		}
	}
	base, exports := startServer(ctx, t, filepath.Join(bin, "vapisec"), flags)
	hostPort := strings.TrimPrefix(strings.TrimPrefix(base, "http://"), "https://")
	prog, wants := script(p, hostPort, devDir)

	sh := exec.CommandContext(ctx, "bash", "-c", prog)
	sh.Dir = t.TempDir()
	// The export line serve --dev prints, as a reader pastes it into the
	// second terminal.
	sh.Env = append(append(os.Environ(), exports...), "PATH="+bin+string(os.PathListSeparator)+os.Getenv("PATH"))
	var stdout, stderr strings.Builder
	sh.Stdout, sh.Stderr = &stdout, &stderr
	err := sh.Run()
	if err != nil {
		t.Fatalf("%s run top to bottom: %v\nstderr:\n%s\nstdout:\n%s\nscript:\n%s", p.name, err, stderr.String(), stdout.String(), prog)
	}
	t.Logf("%s: %d blocks run, %d outputs compared", p.name, len(p.blocks), len(wants))
	out := stdout.String()
	for i, want := range wants {
		begin := fmt.Sprintf("\n@@doctest-begin %d\n", i)
		end := fmt.Sprintf("\n@@doctest-end %d\n", i)
		_, rest, ok1 := strings.Cut(out, begin)
		got, _, ok2 := strings.Cut(rest, end)
		if !ok1 || !ok2 {
			t.Errorf("%s: output %d not found in\n%s", p.name, i, out)
			continue
		}
		got = strings.TrimSpace(strings.ReplaceAll(got, "\r\n", "\n")) // HTTP headers from curl -i
		if !matches(strings.Join(want.want, "\n"), got) {
			t.Errorf("%s: the page shows for\n%s\nthe output\n%s\nbut it printed\n%s", p.name, want.cmd, strings.Join(want.want, "\n"), got)
		}
	}
}

// matches reports whether got is want with each "…" standing for any text.
func matches(want, got string) bool {
	parts := strings.Split(want, "…")
	for i := range parts {
		parts[i] = regexp.QuoteMeta(parts[i])
	}
	return regexp.MustCompile(`(?s)\A` + strings.Join(parts, ".*") + `\z`).MatchString(got)
}

// startServer starts "vapisec serve FLAGS --addr 127.0.0.1:0" and returns
// its base URL and the NAME=VALUE pairs of the "export …" line it printed
// (serve --dev's user and password); the server is stopped (SIGINT, so that --dev removes its
// directory) when the test ends.
func startServer(ctx context.Context, t *testing.T, vapisec string, flags []string) (string, []string) {
	t.Helper()
	args := append([]string{"serve"}, flags...)
	args = append(args, "--addr", "127.0.0.1:0")
	cmd := exec.Command(vapisec, args...)
	pr, pw := io.Pipe()
	cmd.Stdout, cmd.Stderr = pw, pw
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	t.Cleanup(func() {
		_ = cmd.Process.Signal(os.Interrupt)
		select {
		case <-done:
		case <-time.After(5 * time.Second):
			_ = cmd.Process.Kill()
			<-done
		}
	})
	go func() {
		_ = cmd.Wait()
		pw.Close()
		close(done)
	}()
	addr := make(chan string, 1)
	var exports []string // written before addr is sent: serve prints it first
	go func() {
		sc := bufio.NewScanner(pr)
		listening := regexp.MustCompile(`^vapisec: listening on (https?://\S+)`)
		for sc.Scan() {
			if rest, ok := strings.CutPrefix(sc.Text(), "export "); ok {
				exports = append(exports, strings.Fields(rest)...)
			}
			if m := listening.FindStringSubmatch(sc.Text()); m != nil {
				addr <- m[1]
			}
		}
		_, _ = io.Copy(io.Discard, pr)
	}()
	select {
	case a := <-addr:
		return a, exports
	case <-done:
		t.Fatalf("vapisec %s exited before listening", strings.Join(args, " "))
	case <-ctx.Done():
		t.Fatalf("vapisec %s did not listen in time", strings.Join(args, " "))
	}
	return "", nil
}

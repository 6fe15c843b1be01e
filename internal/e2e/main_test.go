package e2e_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"testing"

	"github.com/chromedp/chromedp"
)

// chromiumPath is Debian's chromium, which `make test-deps` installs. A
// missing browser fails the browser tests; they are never skipped.
const chromiumPath = "/usr/bin/chromium"

var (
	repoRoot string // the repository root (holds go.mod)
	appBin   string // the example app, built once for the package
	tmpDir   string // removed when the tests end

	browserOnce sync.Once
	browserCtx  context.Context // the shared Chromium; each test opens its own browser context in it
	browserErr  error
	stopBrowser = func() {}
)

func TestMain(m *testing.M) {
	os.Exit(runMain(m))
}

func runMain(m *testing.M) int {
	var err error
	if repoRoot, err = findRoot(); err != nil {
		fmt.Fprintln(os.Stderr, "e2e:", err)
		return 1
	}
	if tmpDir, err = os.MkdirTemp("", "latchkey-e2e-"); err != nil {
		fmt.Fprintln(os.Stderr, "e2e:", err)
		return 1
	}
	defer os.RemoveAll(tmpDir)
	appBin = filepath.Join(tmpDir, "example-app")
	build := exec.Command(goTool(), "build", "-o", appBin, "./examples/app")
	build.Dir = repoRoot
	if out, err := build.CombinedOutput(); err != nil {
		fmt.Fprintf(os.Stderr, "e2e: building examples/app: %v\n%s", err, out)
		return 1
	}
	code := m.Run()
	stopBrowser()
	return code
}

// findRoot walks up from the package directory to the module root.
func findRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", errors.New("no go.mod above the test directory")
		}
		dir = parent
	}
}

// goTool is the go command: the one on PATH (as `go test` itself was
// found), else the one of $GOROOT.
func goTool() string {
	if p, err := exec.LookPath("go"); err == nil {
		return p
	}
	if root := os.Getenv("GOROOT"); root != "" {
		return filepath.Join(root, "bin", "go")
	}
	return "go"
}

func fileExists(p string) bool {
	_, err := os.Stat(p)
	return err == nil
}

// browser starts Chromium once for the package and returns its context.
func browser(t *testing.T) context.Context {
	t.Helper()
	browserOnce.Do(func() {
		if !fileExists(chromiumPath) {
			browserErr = fmt.Errorf("%s is not installed: run `make test-deps` (it installs Debian's chromium)", chromiumPath)
			return
		}
		opts := append(chromedp.DefaultExecAllocatorOptions[:],
			chromedp.ExecPath(chromiumPath),
			chromedp.UserDataDir(filepath.Join(tmpDir, "chromium-profile")),
			chromedp.WindowSize(1280, 900),
			chromedp.Flag("no-sandbox", true),
			chromedp.Flag("disable-gpu", true),
			chromedp.Flag("disable-quic", true),
			chromedp.Flag("no-first-run", true),
			chromedp.Flag("disable-background-networking", true),
			chromedp.Flag("disable-component-update", true),
			chromedp.Flag("disable-sync", true),
		)
		allocCtx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
		ctx, cancel := chromedp.NewContext(allocCtx)
		if err := chromedp.Do(ctx); err != nil { // starts the browser
			cancel()
			cancelAlloc()
			browserErr = fmt.Errorf("starting %s: %w", chromiumPath, err)
			return
		}
		browserCtx = ctx
		stopBrowser = func() {
			_ = chromedp.Cancel(ctx)
			cancel()
			cancelAlloc()
		}
	})
	if browserErr != nil {
		t.Fatalf("e2e: %v", browserErr)
	}
	return browserCtx
}

package main_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"
	"github.com/google/go-cmp/cmp"
)

// screenshotPath is where TestServerSwaggerUI keeps its screenshot of the
// page: a CI artefact (the directory is ignored by git).
var screenshotPath = filepath.Join("..", "..", ".ci", "artifacts", "swagger.png")

// renderedTag is one tag section of the Swagger UI page: its tag and its
// operations as "METHOD /path".
type renderedTag struct {
	Tag string   `json:"tag"`
	Ops []string `json:"ops"`
}

// renderedJS reads the tag sections Swagger UI rendered.
const renderedJS = `Array.from(document.querySelectorAll('.opblock-tag-section')).map(s => {
	const h = s.querySelector('.opblock-tag');
	return {
		tag: h ? (h.getAttribute('data-tag') || h.textContent).trim() : '',
		ops: Array.from(s.querySelectorAll('.opblock')).map(o => {
			const m = o.querySelector('.opblock-summary-method');
			const p = o.querySelector('.opblock-summary-path');
			const path = p ? (p.getAttribute('data-path') || p.textContent) : '';
			return (m ? m.textContent.trim() : '') + ' ' + path.replace(/\u200b/g, '').trim();
		}),
	};
})`

// TestServerSwaggerUI opens GET /v1/swagger of the example server in
// headless Chromium and checks that Swagger UI lists, under every tag of
// the served document, exactly that tag's operations, loading nothing from
// outside the server. It keeps a screenshot in .ci/artifacts/swagger.png.
// It skips without Chromium, except under CI=true.
func TestServerSwaggerUI(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the server binary and Chromium")
	}
	chromium, err := exec.LookPath("chromium")
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("chromium is not installed and CI=true (.ci/run installs Debian's chromium package): %v", err)
		}
		t.Skip("chromium is not installed (apt-get install chromium); skipping the Swagger UI test")
	}
	bin := buildServer(t)
	s := start(t, bin, t.TempDir(), []string{"ATOMIX_API_KEY=test-platform-key"}, "-dsn", "memory:")
	want := documentedOps(t, s.base+"/swagger.json")
	total := 0
	for _, ops := range want {
		total += len(ops)
	}

	userData := t.TempDir()
	alloc, cancelAlloc := chromedp.NewExecAllocator(context.Background(),
		chromedp.ExecPath(chromium),
		chromedp.Headless,
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.NoFirstRun,
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.UserDataDir(userData),
		chromedp.WindowSize(1280, 900),
	)
	// Cleanups run last first: Chromium stops before its user data
	// directory is removed.
	t.Cleanup(cancelAlloc)

	origin, err := url.Parse(s.base)
	if err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	var foreign, exceptions []string
	ctx, cancel := chromedp.NewContext(alloc, chromedp.WithListener(func(ev any) {
		mu.Lock()
		defer mu.Unlock()
		switch ev := ev.(type) {
		case *network.EventRequestWillBeSent:
			u, err := url.Parse(ev.Request.URL)
			if err != nil || (u.Scheme != "data" && u.Host != origin.Host) {
				foreign = append(foreign, ev.Request.URL)
			}
		case *runtime.EventExceptionThrown:
			d := ev.ExceptionDetails
			msg := d.Text
			if d.Exception != nil && d.Exception.Description != "" {
				msg += " " + d.Exception.Description
			}
			exceptions = append(exceptions, fmt.Sprintf("%s (%s:%d)", msg, d.URL, d.LineNumber))
		}
	}))
	t.Cleanup(cancel)
	// The first Run starts Chromium and must not have a timeout; the steps
	// after it do.
	if err := chromedp.Do(ctx); err != nil {
		t.Fatalf("starting chromium: %v", err)
	}
	steps, cancelSteps := context.WithTimeout(ctx, 90*time.Second)
	defer cancelSteps()

	if err := chromedp.Do(steps, chromedp.Navigate(s.base+"/swagger")); err != nil {
		t.Fatalf("opening %s/swagger: %v", s.base, err)
	}
	// Swagger UI renders the operations client-side, after it has fetched
	// the document.
	_, waitErr := chromedp.Run(steps, chromedp.Poll[bool](
		fmt.Sprintf(`document.querySelectorAll('.opblock').length >= %d`, total),
		chromedp.WithPollingInterval(100*time.Millisecond), chromedp.WithPollingTimeout(60*time.Second)))
	// The screenshot is kept whatever the outcome, to show what rendered.
	png, err := chromedp.Run(steps, chromedp.FullScreenshot(100))
	if err != nil {
		t.Errorf("taking the screenshot: %v", err)
	} else if err := os.MkdirAll(filepath.Dir(screenshotPath), 0o755); err != nil {
		t.Error(err)
	} else if err := os.WriteFile(screenshotPath, png, 0o644); err != nil {
		t.Error(err)
	} else {
		t.Logf("screenshot kept in %s", screenshotPath)
	}
	if waitErr != nil {
		t.Errorf("waiting for %d operations: %v", total, waitErr)
	}

	rendered, err := chromedp.Run(steps, chromedp.Evaluate[[]renderedTag](renderedJS))
	if err != nil {
		t.Fatalf("reading the rendered page: %v", err)
	}
	got := make(map[string][]string)
	for _, rt := range rendered {
		slices.Sort(rt.Ops)
		got[rt.Tag] = append(got[rt.Tag], rt.Ops...)
	}
	if len(want) == 0 {
		t.Fatal("the served document has no operation")
	}
	for tag, ops := range want {
		if diff := cmp.Diff(ops, got[tag]); diff != "" {
			t.Errorf("tag %q: the page's operations differ from the document's (-document +page):\n%s", tag, diff)
		}
	}
	for tag := range got {
		if _, ok := want[tag]; !ok {
			t.Errorf("the page shows tag %q, which the document does not have", tag)
		}
	}

	mu.Lock()
	defer mu.Unlock()
	if len(foreign) > 0 {
		t.Errorf("the page requested URLs outside the server: got %q, want none", foreign)
	}
	if len(exceptions) > 0 {
		t.Errorf("the page threw: got %q, want no exception", exceptions)
	}
}

// documentedOps fetches the document at u and returns, for each tag, its
// operations as sorted "METHOD /path". An operation without a tag is
// under "default", as Swagger UI shows it.
func documentedOps(t *testing.T, u string) map[string][]string {
	t.Helper()
	resp, err := http.Get(u)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET %s: got status %d, want 200", u, resp.StatusCode)
	}
	var doc struct {
		Paths map[string]map[string]json.RawMessage `json:"paths"`
	}
	if err := json.Unmarshal(raw, &doc); err != nil {
		t.Fatalf("GET %s: %v", u, err)
	}
	methods := []string{"get", "put", "post", "delete", "options", "head", "patch", "trace"}
	out := make(map[string][]string)
	for path, item := range doc.Paths {
		for method, rawOp := range item {
			if !slices.Contains(methods, method) {
				continue // parameters, summary, ...
			}
			var op struct {
				Tags []string `json:"tags"`
			}
			if err := json.Unmarshal(rawOp, &op); err != nil {
				t.Fatalf("%s %s: %v", method, path, err)
			}
			if len(op.Tags) == 0 {
				op.Tags = []string{"default"}
			}
			for _, tag := range op.Tags {
				out[tag] = append(out[tag], strings.ToUpper(method)+" "+path)
			}
		}
	}
	for _, ops := range out {
		slices.Sort(ops)
	}
	return out
}

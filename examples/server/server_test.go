package main_test

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// TestMain builds the server binary once for every test of the package.
func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "atomix-server-test")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	binPath = filepath.Join(dir, "atomix-server")
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

var (
	binPath  string
	buildMu  sync.Mutex
	buildOut []byte
	buildErr error
	built    bool
)

// buildServer compiles the example server once per test binary and
// returns the path of the binary.
func buildServer(t *testing.T) string {
	t.Helper()
	buildMu.Lock()
	defer buildMu.Unlock()
	if !built {
		cmd := exec.Command("go", "build", "-o", binPath, ".")
		cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
		buildOut, buildErr = cmd.CombinedOutput()
		built = true
	}
	if buildErr != nil {
		t.Fatalf("go build: %v\n%s", buildErr, buildOut)
	}
	return binPath
}

// server is a running example server process.
type server struct {
	cmd  *exec.Cmd
	base string // e.g. http://127.0.0.1:41234/v1
	logs *syncBuffer
}

// start runs the binary with args and env and waits for its listening line.
func start(t *testing.T, bin string, dir string, env []string, args ...string) *server {
	t.Helper()
	s, found := launch(t, bin, dir, env, args...)
	s.await(t, found, time.After(30*time.Second), "server")
	return s
}

// launch starts the binary with args and env, killed when t ends, and
// returns it with a channel that gets the base URL from its listening
// line (closed when its output ends).
func launch(t *testing.T, bin string, dir string, env []string, args ...string) (*server, <-chan string) {
	t.Helper()
	cmd := exec.Command(bin, append([]string{"-addr", "127.0.0.1:0"}, args...)...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), env...)
	logs := &syncBuffer{}
	cmd.Stderr = logs
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	s := &server{cmd: cmd, logs: logs}
	t.Cleanup(func() {
		if cmd.ProcessState == nil {
			_ = cmd.Process.Kill()
			_ = cmd.Wait()
		}
	})
	found := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			if rest, ok := strings.CutPrefix(sc.Text(), "listening on "); ok {
				found <- strings.Fields(rest)[0]
			}
		}
		close(found)
	}()
	return s, found
}

// await sets s.base from launch's channel, failing t when the process
// ends first or deadline comes; name says which process in the message.
func (s *server) await(t *testing.T, found <-chan string, deadline <-chan time.Time, name string) {
	t.Helper()
	select {
	case base, ok := <-found:
		if !ok {
			t.Fatalf("%s exited before listening; logs:\n%s", name, s.logs)
		}
		s.base = base
	case <-deadline:
		t.Fatalf("%s did not start in time; logs:\n%s", name, s.logs)
	}
}

// syncBuffer is a bytes.Buffer safe for the process's writer and the
// test's reader at once.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.String()
}

// stop sends SIGTERM and checks that the server exits cleanly.
func (s *server) stop(t *testing.T) {
	t.Helper()
	if err := s.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- s.cmd.Wait() }()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("server exit: got %v, want a clean exit; logs:\n%s", err, s.logs)
		}
	case <-time.After(20 * time.Second):
		t.Fatalf("server did not stop within 20s of SIGTERM")
	}
}

func (s *server) do(t *testing.T, method, path, key string, body string) (int, map[string]any) {
	t.Helper()
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req, err := http.NewRequest(method, s.base+path, rd)
	if err != nil {
		t.Fatal(err)
	}
	if key != "" {
		req.Header.Set("Authorization", "Bearer "+key)
	}
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	var out map[string]any
	if len(raw) > 0 {
		if err := json.Unmarshal(raw, &out); err != nil {
			t.Fatalf("%s %s: body is not a JSON object: %q", method, path, raw)
		}
	}
	return resp.StatusCode, out
}

const seedTenant = `{
  "name": "Acme Corporation",
  "subdomain": "acme",
  "planId": "plan_professional",
  "contact": {"name": "John Doe", "email": "john@acme.com", "phone": "+905321234567"},
  "initialAtoms": ["atom_wireframe", "atom_task"],
  "settings": {"industry": "technology", "companySize": "51-200"}
}`

func TestServerOverHTTP(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the server binary")
	}
	bin := buildServer(t)
	const key = "test-platform-key"
	// -demo: seed 000's initialAtoms come from the demo catalog.
	s := start(t, bin, t.TempDir(), []string{"ATOMIX_API_KEY=" + key}, "-dsn", "memory:", "-demo")

	if code, _ := s.do(t, "GET", "/tenants", "", ""); code != http.StatusUnauthorized {
		t.Errorf("GET /tenants without a key: got %d, want 401", code)
	}
	code, created := s.do(t, "POST", "/tenants", key, seedTenant)
	if code != http.StatusCreated {
		t.Fatalf("POST /tenants: got %d, want 201 (%v)", code, created)
	}
	id, _ := created["id"].(string)
	if !strings.HasPrefix(id, "tn_") || created["status"] != "trial" {
		t.Errorf("POST /tenants: got id %q status %v, want a tn_ id and status trial", id, created["status"])
	}
	code, list := s.do(t, "GET", "/tenants?status=trial&limit=1", key, "")
	if code != http.StatusOK {
		t.Fatalf("GET /tenants: got %d, want 200", code)
	}
	if data, _ := list["data"].([]any); len(data) != 1 {
		t.Errorf("GET /tenants data: got %v, want one tenant", list["data"])
	}
	if pg, _ := list["pagination"].(map[string]any); pg["total"] != 1.0 || pg["limit"] != 1.0 {
		t.Errorf("GET /tenants pagination: got %v, want total 1, limit 1", pg)
	}
	if code, p := s.do(t, "POST", "/tenants", key, seedTenant); code != http.StatusConflict || p["code"] != "subdomain_taken" {
		t.Errorf("duplicate POST /tenants: got %d %v, want 409 subdomain_taken", code, p["code"])
	}
	s.stop(t)
}

func TestServerGeneratesKey(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the server binary")
	}
	bin := buildServer(t)
	cmd := exec.Command(bin, "-addr", "127.0.0.1:0", "-dsn", "memory:")
	cmd.Env = append(os.Environ(), "ATOMIX_API_KEY=")
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() { _ = cmd.Process.Kill(); _ = cmd.Wait() }()
	sc := bufio.NewScanner(out)
	if !sc.Scan() {
		t.Fatal("no output")
	}
	line := sc.Text()
	i := strings.LastIndex(line, ": ak_")
	if !strings.Contains(line, "generated platform API key") || i < 0 || len(line[i+2:]) < 40 {
		t.Errorf("first line: got %q, want the generated key", line)
	}
}

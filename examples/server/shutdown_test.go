package main_test

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"
)

// TestServerShutdownKeepsAcknowledgedUsage sends SIGTERM while clients
// post usage batches: the server finishes the requests in flight, and
// every record it acknowledged (accepted) is in the store after a restart.
func TestServerShutdownKeepsAcknowledgedUsage(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the server binary")
	}
	bin := buildServer(t)
	dir := t.TempDir()
	const key = "load-key"
	env := []string{"ATOMIX_API_KEY=" + key}
	s := start(t, bin, dir, env, "-dsn", "sqlite:atomix.db", "-demo")
	code, tn := s.do(t, "POST", "/tenants", key, `{"name":"Load","subdomain":"load","planId":"plan_starter","contact":{"name":"Lee","email":"lee@load.example.com"}}`)
	if code != http.StatusCreated {
		t.Fatalf("POST /tenants: got %d %v", code, tn)
	}
	id := tn["id"].(string)

	const clients, perBatch = 4, 50
	var acked atomic.Int64
	var wg sync.WaitGroup
	stop := make(chan struct{})
	var sent atomic.Int64
	for c := range clients {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for b := 0; ; b++ {
				select {
				case <-stop:
					return
				default:
				}
				recs := make([]string, perBatch)
				ts := time.Now().UTC().Format(time.RFC3339)
				for i := range recs {
					recs[i] = fmt.Sprintf(`{"idempotencyKey":"c%d-b%d-r%d","tenantId":"%s","metric":"api_calls","quantity":1,"timestamp":"%s"}`, c, b, i, id, ts)
				}
				req, _ := http.NewRequest("POST", s.base+"/usage", strings.NewReader(`{"records":[`+strings.Join(recs, ",")+`]}`))
				req.Header.Set("Authorization", "Bearer "+key)
				req.Header.Set("Content-Type", "application/json")
				sent.Add(1)
				resp, err := http.DefaultClient.Do(req)
				if err != nil {
					return // the server is gone: this batch was never acknowledged
				}
				var out struct {
					Accepted int `json:"accepted"`
				}
				err = decodeJSON(resp, &out)
				if resp.StatusCode == http.StatusOK && err == nil {
					acked.Add(int64(out.Accepted))
				}
				if resp.StatusCode != http.StatusOK {
					return
				}
			}
		}()
	}
	// Let the load run, then stop the server under it.
	deadline := time.Now().Add(10 * time.Second)
	for acked.Load() < 2000 && time.Now().Before(deadline) {
		time.Sleep(20 * time.Millisecond)
	}
	if err := s.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	exited := make(chan error, 1)
	go func() { exited <- s.cmd.Wait() }()
	select {
	case err := <-exited:
		if err != nil {
			var ee interface{ ExitCode() int }
			if !errors.As(err, &ee) || ee.ExitCode() != 0 {
				t.Fatalf("server exit: %v; logs:\n%s", err, s.logs)
			}
		}
	case <-time.After(30 * time.Second):
		t.Fatal("the server did not stop within 30s of SIGTERM")
	}
	close(stop)
	wg.Wait()
	if acked.Load() == 0 {
		t.Fatalf("no record was acknowledged before the shutdown (%d batches sent)", sent.Load())
	}

	// Every acknowledged record survived: the period's api_calls equal them.
	s2 := start(t, bin, dir, env, "-dsn", "sqlite:atomix.db", "-demo")
	code, usage := s2.do(t, "GET", "/tenants/"+id+"/usage", key, "")
	u, _ := usage["usage"].(map[string]any)
	calls, _ := u["api_calls"].(map[string]any)
	if code != http.StatusOK || calls["used"] != float64(acked.Load()) {
		t.Errorf("after the restart: got %d %v, want %d api_calls (every acknowledged record)", code, usage, acked.Load())
	}
	s2.stop(t)
}

func decodeJSON(resp *http.Response, v any) error {
	defer resp.Body.Close()
	return json.NewDecoder(resp.Body).Decode(v)
}

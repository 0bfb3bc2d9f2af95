package apiclient_test

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
)

// TestGeneratedCodeIsCurrent runs the go:generate line of doc.go into a
// temporary directory and compares the result with client.gen.go, so a
// change to ../openapi.json (or to the pinned generator or its
// configuration) without go generate fails here.
func TestGeneratedCodeIsCurrent(t *testing.T) {
	goBin, err := exec.LookPath("go")
	if err != nil {
		t.Fatalf("the go command is needed to run the generator: %v", err)
	}
	out := filepath.Join(t.TempDir(), "client.gen.go")
	cmd := exec.Command(goBin, "tool", "oapi-codegen", "-config", "oapi-codegen.yaml", "-o", out, "../openapi.json")
	if msg, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("oapi-codegen: %v\n%s", err, msg)
	}
	got, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	want, err := os.ReadFile("client.gen.go")
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("client.gen.go is stale: got %d bytes from the generator, want the %d committed; run go generate ./httpapi/apiclient", len(got), len(want))
	}
}

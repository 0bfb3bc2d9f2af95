package httpapi_test

import (
	"bytes"
	"encoding/json"
	"testing"
	"time"

	"github.com/atomixplatform/atomix/httpapi"
)

// jsonString is what encoding/json writes for s, without HTML escaping.
func jsonString(t testing.TB, s string) string {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(s); err != nil {
		t.Fatal(err)
	}
	return string(bytes.TrimSuffix(buf.Bytes(), []byte("\n")))
}

var stringCases = []string{
	"", "plain", `"quoted"`, `back\slash`, "tab\tnew\nline\rreturn", "\b\f\x00\x01\x1f\x7f",
	"<b>&amp;</b>", "Ünïcödé", "🚀 rocket", "line\u2028sep\u2029para", "bad \xff utf8 \xc3", "\xed\xa0\x80",
}

func TestAppendStringMatchesEncodingJSON(t *testing.T) {
	for _, s := range stringCases {
		if got, want := string(httpapi.AppendString(nil, s)), jsonString(t, s); got != want {
			t.Errorf("AppendString(%q) = %s, want %s", s, got, want)
		}
	}
}

func FuzzAppendString(f *testing.F) {
	for _, s := range stringCases {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if got, want := string(httpapi.AppendString(nil, s)), jsonString(t, s); got != want {
			t.Errorf("AppendString(%q) = %s, want %s", s, got, want)
		}
	})
}

func TestAppendTimeMatchesRFC3339Nano(t *testing.T) {
	ist := time.FixedZone("IST", 3*3600)
	for _, tm := range []time.Time{
		time.Date(2026, 1, 16, 12, 0, 0, 0, time.UTC),
		time.Date(2026, 1, 16, 12, 0, 1, 123400000, time.UTC),
		time.Date(2026, 12, 31, 23, 59, 59, 999999999, time.UTC),
		time.Date(1, 1, 1, 0, 0, 0, 1, time.UTC),
		time.Date(2026, 6, 1, 2, 3, 4, 500, ist), // shown in UTC
		time.Date(10000, 1, 1, 0, 0, 0, 0, time.UTC),
		time.Date(-1, 1, 1, 0, 0, 0, 0, time.UTC),
		{},
	} {
		want := `"` + tm.UTC().Format(time.RFC3339Nano) + `"`
		if got := string(httpapi.AppendTime(nil, tm)); got != want {
			t.Errorf("AppendTime(%v) = %s, want %s", tm, got, want)
		}
	}
}

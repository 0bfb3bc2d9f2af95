package identity

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strconv"
	"time"
)

// LogSender is an SMSSender that writes one log line per message, with the
// phone and the code, so that a developer can sign in locally. Never use
// it in production: the codes end up in the logs.
type LogSender struct {
	Logger *slog.Logger
}

// Send logs m at level Info. It never fails.
func (l LogSender) Send(ctx context.Context, m SMS) error {
	lg := l.Logger
	if lg == nil {
		lg = slog.Default()
	}
	lg.InfoContext(ctx, "otp code", "phone", m.To, "code", m.Code, "requestId", m.RequestID, "tenantId", m.TenantID)
	return nil
}

// Defaults of WebhookSender.
const (
	DefaultWebhookTimeout  = 5 * time.Second
	DefaultWebhookAttempts = 3
	// WebhookSignatureHeader carries "sha256=" and the hex HMAC-SHA256 of
	// "<timestamp>.<body>" under the webhook's secret.
	WebhookSignatureHeader = "X-Atomix-Signature"
	// WebhookTimestampHeader carries the Unix time of the request.
	WebhookTimestampHeader = "X-Atomix-Timestamp"
)

// WebhookSender is an SMSSender that POSTs each message as JSON
// ({"to","code","text","requestId","tenantId","expiresAt"}) to an SMS
// gateway of the embedder's, signed with HMAC-SHA256. It retries a failed
// request (a network error or a 5xx or 429 answer) with a short backoff.
type WebhookSender struct {
	// URL receives the POSTs. Required.
	URL string
	// Secret keys the signature. Required.
	Secret []byte
	// Client sends the requests (http.DefaultClient when nil).
	Client *http.Client
	// Timeout bounds each request (DefaultWebhookTimeout when 0).
	Timeout time.Duration
	// Attempts bounds the requests per message (DefaultWebhookAttempts
	// when 0).
	Attempts int
	// Backoff is the wait before the first retry, doubled for each next
	// one (200ms when 0).
	Backoff time.Duration
}

// webhookBody is what WebhookSender POSTs.
type webhookBody struct {
	To        string    `json:"to"`
	Code      string    `json:"code"`
	Text      string    `json:"text"`
	RequestID string    `json:"requestId"`
	TenantID  string    `json:"tenantId,omitempty"`
	ExpiresAt time.Time `json:"expiresAt"`
}

// SignWebhook returns the signature header value of body sent at ts.
func SignWebhook(secret []byte, ts int64, body []byte) string {
	h := hmac.New(sha256.New, secret)
	h.Write([]byte(strconv.FormatInt(ts, 10)))
	h.Write([]byte{'.'})
	h.Write(body)
	return "sha256=" + hex.EncodeToString(h.Sum(nil))
}

// Send posts m. It returns the last error when every attempt failed, or at
// once for a 4xx answer other than 429, which a retry would not mend.
func (w WebhookSender) Send(ctx context.Context, m SMS) error {
	if w.URL == "" || len(w.Secret) == 0 {
		return errors.New("identity: WebhookSender needs a URL and a secret")
	}
	body, err := json.Marshal(webhookBody{To: m.To, Code: m.Code, Text: m.Text(), RequestID: m.RequestID, TenantID: m.TenantID, ExpiresAt: m.ExpiresAt.UTC()})
	if err != nil {
		return err
	}
	client := w.Client
	if client == nil {
		client = http.DefaultClient
	}
	attempts := positiveInt(w.Attempts, DefaultWebhookAttempts)
	backoff := positive(w.Backoff, 200*time.Millisecond)
	var last error
	for i := range attempts {
		if i > 0 {
			t := time.NewTimer(backoff << (i - 1))
			select {
			case <-ctx.Done():
				t.Stop()
				return fmt.Errorf("identity: webhook: %w (last error: %v)", ctx.Err(), last)
			case <-t.C:
			}
		}
		retry, err := w.post(ctx, client, body)
		if err == nil {
			return nil
		}
		last = err
		if !retry {
			return err
		}
	}
	return fmt.Errorf("identity: webhook: %d attempts failed: %w", attempts, last)
}

// post makes one request; retry says whether another may succeed.
func (w WebhookSender) post(ctx context.Context, client *http.Client, body []byte) (retry bool, err error) {
	ctx, cancel := context.WithTimeout(ctx, positive(w.Timeout, DefaultWebhookTimeout))
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, w.URL, bytes.NewReader(body))
	if err != nil {
		return false, err
	}
	ts := time.Now().Unix()
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set(WebhookTimestampHeader, strconv.FormatInt(ts, 10))
	req.Header.Set(WebhookSignatureHeader, SignWebhook(w.Secret, ts, body))
	resp, err := client.Do(req)
	if err != nil {
		return true, err
	}
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	_ = resp.Body.Close()
	switch {
	case resp.StatusCode >= 200 && resp.StatusCode < 300:
		return false, nil
	case resp.StatusCode == http.StatusTooManyRequests || resp.StatusCode >= 500:
		return true, fmt.Errorf("identity: webhook answered %s", resp.Status)
	}
	return false, fmt.Errorf("identity: webhook answered %s", resp.Status)
}

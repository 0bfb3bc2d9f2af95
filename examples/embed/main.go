package main

import (
	"context"
	"fmt"
	"log"
	"log/slog"
	"net/http"
	"os"
	"os/signal"
	"time"

	"github.com/atomixplatform/atomix"
	"github.com/atomixplatform/atomix/httpapi"
	"github.com/atomixplatform/atomix/store/memory"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()

	p, err := atomix.New(memory.New())
	if err != nil {
		log.Fatal(err)
	}
	key := os.Getenv("ATOMIX_API_KEY")
	if key == "" {
		log.Fatal("set ATOMIX_API_KEY to the platform key the API should accept")
	}

	mux := newMux(p, key, slog.Default())
	srv := &http.Server{Addr: "127.0.0.1:8081", Handler: mux, ReadHeaderTimeout: 10 * time.Second}
	go func() {
		<-ctx.Done()
		sctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		_ = srv.Shutdown(sctx)
	}()
	log.Printf("listening on http://%s (atomix under /platform/v1)", srv.Addr)
	if err := srv.ListenAndServe(); err != http.ErrServerClosed {
		log.Fatal(err)
	}
}

// newMux is the team's own mux: its routes, plus atomix under /platform/v1.
func newMux(p *atomix.Platform, apiKey string, logger *slog.Logger) *http.ServeMux {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /hello", func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprintln(w, "hello from the team's own route")
	})
	mux.Handle("/platform/v1/", httpapi.New(p,
		httpapi.WithPrefix("/platform/v1"),
		httpapi.WithAPIKey(apiKey),
		httpapi.WithLogger(logger),
	))
	return mux
}

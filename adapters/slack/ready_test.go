package slack

import (
	"context"
	"testing"
	"time"
)

func TestReadyFollowsTheConnection(t *testing.T) {
	h := newHarness(t, &fakeCore{}, nil)
	if err := h.a.Ready(context.Background()); err == nil {
		t.Fatal("ready before connecting")
	}
	h.runSocket(t)
	deadline := time.Now().Add(10 * time.Second)
	for h.a.Ready(context.Background()) != nil {
		if time.Now().After(deadline) {
			t.Fatalf("not ready after connecting: %v", h.a.Ready(context.Background()))
		}
		time.Sleep(20 * time.Millisecond)
	}

	hh := newHTTPHarness(t, &fakeCore{}, nil)
	if err := hh.a.Ready(context.Background()); err == nil {
		t.Fatal("HTTP mode ready before Identify")
	}
	if err := hh.a.Identify(context.Background()); err != nil {
		t.Fatal(err)
	}
	if err := hh.a.Ready(context.Background()); err != nil {
		t.Fatalf("HTTP mode not ready after Identify: %v", err)
	}
}

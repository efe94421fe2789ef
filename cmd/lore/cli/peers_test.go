package cli_test

import (
	"strings"
	"testing"

	"github.com/lorehq/lore/cmd/lore/cli"
	"github.com/lorehq/lore/store"
)

// The peer flow in the terminal chat: ben says what he can help with, ana
// asks to connect, ben is asked by direct message and accepts, and both
// are introduced.
func TestChatConnectsPeople(t *testing.T) {
	t.Parallel()
	db := newDB(t)
	input := strings.Join([]string{
		"/as ben", "profile can-help: VPN, networking", "profile available on",
		"/as ana", "connect vpn troubleshooting", "/press 1",
		"/as ben", "/press 1",
		"/as ana", "profile delete", "/press 1",
	}, "\n") + "\n"
	r := runWithInput(t, strings.NewReader(input), "chat", "--no-sample", "--user", "ana", db.flag())
	r.wantCode(t, cli.ExitOK)
	for _, want := range []string{
		"1. ben: says they can help with vpn",
		"[direct message to ben]", "ana would like help with *vpn troubleshooting*",
		"[group message to ana, ben]", "ana, meet ben",
		"Done: your profile, requests, pairing history and peer events are deleted.",
	} {
		if !strings.Contains(r.out, want) {
			t.Errorf("chat output lacks %q:\n%s", want, r.out)
		}
	}
	reqs, err := db.open(t).Requests(t.Context(), store.RequestFilter{Expert: "ben"})
	if err != nil {
		t.Fatal(err)
	}
	if len(reqs) != 0 {
		t.Errorf("ana's requests kept after profile delete: %+v", reqs)
	}
}

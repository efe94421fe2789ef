package web_test

import (
	"bytes"
	"context"
	"image/png"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"
)

// chromium finds a headless-capable Chromium: $LORE_CHROMIUM, or chromium
// on PATH, as deploy/chromium/ensure-chromium.sh installs it. Without one
// the test is skipped with a hint, except under CI, where it must fail.
func chromium(t *testing.T) string {
	t.Helper()
	if p := os.Getenv("LORE_CHROMIUM"); p != "" {
		return p
	}
	for _, name := range []string{"chromium", "chromium-browser"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	if os.Getenv("CI") != "" {
		t.Fatal("chromium is not installed, and CI must run the browser test: run deploy/chromium/ensure-chromium.sh")
	}
	t.Skip("chromium is not installed: run deploy/chromium/ensure-chromium.sh (or set LORE_CHROMIUM) to run the browser test")
	return ""
}

// runBrowser runs headless Chromium with args and returns its stdout.
func runBrowser(t *testing.T, bin string, args ...string) []byte {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), 90*time.Second)
	defer cancel()
	home := t.TempDir() // a profile of its own, so runs never share state
	all := append([]string{"--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--no-first-run",
		"--user-data-dir=" + home, "--hide-scrollbars"}, args...)
	cmd := exec.CommandContext(ctx, bin, all...)
	cmd.Env = append(os.Environ(), "HOME="+home)
	var out, errOut bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errOut
	if err := cmd.Run(); err != nil {
		t.Fatalf("chromium %v: %v\n%s", args, err, errOut.String())
	}
	return out.Bytes()
}

// TestBrowserRendersDashboard loads the dashboard over a seeded store in
// headless Chromium, checks the figures the browser rendered and that the
// chart is drawn, and writes a screenshot to the test's artifacts.
func TestBrowserRendersDashboard(t *testing.T) {
	bin := chromium(t)
	d := newDashboard(t, seed(t))
	// Chromium cannot be handed a cookie on its command line; the signed
	// admin session is added to each of its requests instead.
	c := client(t)
	login := httptest.NewServer(d.Handler())
	signIn(t, c, login.URL, adminToken)
	u, _ := http.NewRequest("GET", login.URL, nil)
	cookies := c.Jar.Cookies(u.URL)
	login.Close()
	if len(cookies) == 0 {
		t.Fatal("no session cookie")
	}
	h := d.Handler()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		for _, ck := range cookies {
			r.AddCookie(ck)
		}
		h.ServeHTTP(w, r)
	}))
	defer srv.Close()

	dom := string(runBrowser(t, bin, "--dump-dom", srv.URL+"/dashboard"))
	for key, want := range map[string]string{"active_learners": "14", "questions": "14", "answered": "9", "answer_rate": "60%"} {
		re := regexp.MustCompile(`data-metric="` + key + `"><div>[^<]*</div><div class="v">([^<]*)</div>`)
		m := re.FindStringSubmatch(dom)
		if m == nil || m[1] != want {
			t.Errorf("rendered %s = %v, want %s", key, m, want)
		}
	}
	// A point a day, or a shaded day withheld for having too few people.
	shown := strings.Count(dom, `<circle data-series="questions"`)
	withheld := strings.Count(dom, `<rect class="withheld"`)
	if !strings.Contains(dom, `<polyline class="series" data-series="questions"`) || shown+withheld < 7 {
		t.Fatalf("the chart has no questions series with a point a day: %d shown, %d withheld", shown, withheld)
	}

	shot := filepath.Join(t.ArtifactDir(), "dashboard.png")
	runBrowser(t, bin, "--window-size=1280,1600", "--screenshot="+shot, srv.URL+"/dashboard")
	f, err := os.Open(shot)
	if err != nil {
		t.Fatalf("no screenshot: %v", err)
	}
	defer f.Close()
	img, err := png.Decode(f)
	if err != nil {
		t.Fatal(err)
	}
	// The chart's lines are in the picture: pixels of the series colours.
	blue, orange := 0, 0
	b := img.Bounds()
	for y := b.Min.Y; y < b.Max.Y; y++ {
		for x := b.Min.X; x < b.Max.X; x++ {
			r, g, bl, _ := img.At(x, y).RGBA()
			r, g, bl = r>>8, g>>8, bl>>8
			switch {
			case r < 0x40 && g > 0x60 && g < 0x90 && bl > 0xa0:
				blue++
			case r > 0xf0 && g > 0x70 && g < 0x90 && bl < 0x30:
				orange++
			}
		}
	}
	if blue < 100 || orange < 100 {
		t.Errorf("screenshot %s has %d blue and %d orange pixels: the chart is not drawn", shot, blue, orange)
	}
	t.Logf("screenshot: %s", shot)
}

package cli_test

import (
	"bytes"
	"encoding/json"
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/lorehq/lore/cmd/lore/cli"
)

const deployDir = "../../../deploy"

// manifests decodes every YAML document of a file into generic maps.
func manifests(t *testing.T, path string) []map[string]any {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	dec := yaml.NewDecoder(bytes.NewReader(data))
	var docs []map[string]any
	for {
		var m map[string]any
		if err := dec.Decode(&m); err != nil {
			if err.Error() == "EOF" {
				return docs
			}
			t.Fatalf("%s: %v", path, err)
		}
		if m != nil {
			docs = append(docs, m)
		}
	}
}

// dig follows keys (strings) and indexes (ints) into a decoded document.
func dig(v any, path ...any) any {
	for _, p := range path {
		switch k := p.(type) {
		case string:
			m, ok := v.(map[string]any)
			if !ok {
				return nil
			}
			v = m[k]
		case int:
			s, ok := v.([]any)
			if !ok || k >= len(s) {
				return nil
			}
			v = s[k]
		}
	}
	return v
}

func strs(v any) []string {
	var out []string
	for _, x := range v.([]any) {
		out = append(out, x.(string))
	}
	return out
}

// wantValidCommand checks that args are a lore command line that parses:
// the same args with --help exit 0.
func wantValidCommand(t *testing.T, where string, args []string) {
	t.Helper()
	var filtered []string
	for i := 0; i < len(args); i++ {
		if args[i] == "--config" { // the file exists only in the cluster
			i++
			continue
		}
		filtered = append(filtered, args[i])
	}
	var out, errOut bytes.Buffer
	code := cli.RunWithEnv(t.Context(), append(filtered, "--help"), cli.Stdio{In: strings.NewReader(""), Out: &out, Err: &errOut}, func(string) string { return "" })
	if code != cli.ExitOK {
		t.Errorf("%s: lore %s is not a valid command line: %s", where, strings.Join(args, " "), errOut.String())
	}
}

func TestKubernetesManifests(t *testing.T) {
	files, _ := filepath.Glob(filepath.Join(deployDir, "kubernetes", "*.yaml"))
	if len(files) == 0 {
		t.Fatal("no Kubernetes manifests")
	}
	kinds := map[string]int{}
	for _, f := range files {
		for _, doc := range manifests(t, f) {
			kind, _ := doc["kind"].(string)
			kinds[kind]++
			var pod any
			switch kind {
			case "Deployment":
				pod = dig(doc, "spec", "template", "spec")
				c := dig(pod, "containers", 0)
				if dig(c, "livenessProbe", "httpGet", "path") != "/healthz" || dig(c, "readinessProbe", "httpGet", "path") != "/readyz" {
					t.Errorf("%s: deployment %v lacks /healthz and /readyz probes", f, dig(doc, "metadata", "name"))
				}
				if grace, _ := dig(pod, "terminationGracePeriodSeconds").(int); grace < 40 {
					t.Errorf("%s: grace period %d s is shorter than lore serve's shutdown bounds", f, grace)
				}
			case "Job":
				pod = dig(doc, "spec", "template", "spec")
			default:
				continue
			}
			if dig(pod, "securityContext", "runAsNonRoot") != true {
				t.Errorf("%s: %s does not run as non-root", f, kind)
			}
			c := dig(pod, "containers", 0)
			wantValidCommand(t, f, strs(dig(c, "args")))
			if dig(c, "envFrom", 0, "secretRef", "name") != "lore" {
				t.Errorf("%s: %s does not take its tokens from the lore Secret", f, kind)
			}
		}
	}
	for _, k := range []string{"Deployment", "Job", "Secret", "ConfigMap", "Service"} {
		if kinds[k] == 0 {
			t.Errorf("no %s among the Kubernetes manifests", k)
		}
	}
	// The ConfigMap's lore.yaml is a valid Lore configuration.
	for _, doc := range manifests(t, filepath.Join(deployDir, "kubernetes", "configmap.yaml")) {
		cfg := filepath.Join(t.TempDir(), "lore.yaml")
		writeFile(t, cfg, []byte(dig(doc, "data", "lore.yaml").(string)))
		runEnv(t, nil, "--config", cfg, "config", "check").wantCode(t, cli.ExitOK)
	}
}

func TestComposeAndDockerfile(t *testing.T) {
	docs := manifests(t, filepath.Join(deployDir, "compose", "compose.yaml"))
	services := dig(docs[0], "services").(map[string]any)
	for _, name := range []string{"db", "migrate", "lore", "workers"} {
		if services[name] == nil {
			t.Fatalf("compose file lacks service %s", name)
		}
	}
	if img, _ := dig(services["db"], "image").(string); !strings.HasPrefix(img, "pgvector/pgvector:") {
		t.Errorf("database image %q is not pgvector's", img)
	}
	for _, name := range []string{"migrate", "lore", "workers"} {
		wantValidCommand(t, "compose "+name, strs(dig(services[name], "command")))
	}
	probe := strs(dig(services["lore"], "healthcheck", "test"))
	wantValidCommand(t, "compose health check", probe[2:])

	df, err := os.ReadFile(filepath.Join(deployDir, "docker", "Dockerfile"))
	if err != nil {
		t.Fatal(err)
	}
	s := string(df)
	if !strings.Contains(s, "./cmd/lore") || !strings.Contains(s, "AS build") {
		t.Error("Dockerfile is not a multi-stage build of ./cmd/lore")
	}
	if !strings.Contains(s, "USER 65532") {
		t.Error("Dockerfile does not switch to a non-root user")
	}

	// The image has a health check of its own, as compose's: lore probe on
	// the readiness endpoint, at the port the image listens on.
	joined := strings.ReplaceAll(s, "\\\n", " ") // continuation lines
	m := regexp.MustCompile(`(?m)^HEALTHCHECK\b.*\bCMD (\[.*\])\s*$`).FindStringSubmatch(joined)
	if m == nil {
		t.Fatal("Dockerfile has no HEALTHCHECK in exec form")
	}
	var check []string
	if err := json.Unmarshal([]byte(m[1]), &check); err != nil || len(check) != 3 || check[0] != "/usr/local/bin/lore" || check[1] != "probe" {
		t.Fatalf("Dockerfile health check %s is not /usr/local/bin/lore probe URL (%v)", m[1], err)
	}
	wantValidCommand(t, "Dockerfile health check", check[1:])
	listen := regexp.MustCompile(`LORE_LISTEN=(\S+)`).FindStringSubmatch(s)
	if listen == nil {
		t.Fatal("Dockerfile does not set LORE_LISTEN")
	}
	_, port, _ := strings.Cut(listen[1], ":")
	if want := "http://127.0.0.1:" + port + "/readyz"; check[2] != want {
		t.Errorf("Dockerfile health check probes %s, want %s (LORE_LISTEN=%s)", check[2], want, listen[1])
	}
	if probe[len(probe)-1] != check[2] {
		t.Errorf("compose probes %s, the image %s", probe[len(probe)-1], check[2])
	}
}

func TestProbe(t *testing.T) {
	db := newDB(t)
	srv := startServe(t, db.flag())
	srv.waitReady(t, true, 10*time.Second)
	run(t, "probe", srv.base+"/readyz").wantCode(t, cli.ExitOK)
	run(t, "probe", srv.base+"/nothing-here").wantCode(t, cli.ExitFailure)
	run(t, "probe", "http://127.0.0.1:1/readyz").wantCode(t, cli.ExitFailure)
	run(t, "probe", "::not a url").wantCode(t, cli.ExitUsage)
}

// A URL that gets no answer fails (exit 1) saying why in plain words,
// naming the URL without its password, never Go's "Get ...: dial tcp".
func TestProbeSaysWhyThereIsNoAnswer(t *testing.T) {
	t.Parallel()
	tlsSrv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {}))
	tlsSrv.Config.ErrorLog = log.New(io.Discard, "", 0) // the refused handshake
	tlsSrv.StartTLS()
	t.Cleanup(tlsSrv.Close)
	ok := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {}))
	t.Cleanup(ok.Close)
	for _, c := range []struct{ url, msg string }{
		{"http://127.0.0.1:1/readyz", "probe: http://127.0.0.1:1/readyz: connection refused by 127.0.0.1:1: no server is listening there"},
		{"http://ana:secret@127.0.0.1:1/readyz", "probe: http://ana:xxxxx@127.0.0.1:1/readyz: connection refused"},
		{tlsSrv.URL + "/readyz", "probe: " + tlsSrv.URL + "/readyz: TLS certificate not trusted"},
	} {
		r := run(t, "probe", c.url)
		if r.code != cli.ExitFailure || !strings.Contains(r.err, c.msg) {
			t.Errorf("probe %q: exit %d, stderr %q; want exit 1 saying %q", c.url, r.code, r.err, c.msg)
		}
		for _, goWords := range []string{"Get \"", "dial tcp", "x509:", "secret"} {
			if strings.Contains(r.err, goWords) {
				t.Errorf("probe %q: stderr %q says %q", c.url, r.err, goWords)
			}
		}
	}
	withPassword := strings.Replace(ok.URL, "http://", "http://ana:secret@", 1) + "/readyz"
	r := run(t, "probe", withPassword)
	r.wantCode(t, cli.ExitOK)
	if strings.Contains(r.out, "secret") || !strings.Contains(r.out, "ana:xxxxx@") {
		t.Errorf("probe printed %q, want the URL without its password", r.out)
	}
}

// A URL no server could answer is a usage error, as a malformed one is:
// empty (a script's unset variable), without http:// or https://, or
// without a host.
func TestProbeRefusesURLsWithoutAServer(t *testing.T) {
	t.Parallel()
	for _, c := range []struct{ url, msg string }{
		{"", "the URL is empty"},
		{" ", "the URL is empty"},
		{"127.0.0.1:8080/readyz", `"127.0.0.1:8080/readyz" is not an http:// or https:// URL`},
		{"localhost/readyz", `"localhost/readyz" is not an http:// or https:// URL`},
		{"ftp://127.0.0.1/readyz", `"ftp://127.0.0.1/readyz" is not an http:// or https:// URL`},
		{"http:///readyz", `"http:///readyz" is not an http:// or https:// URL with a host`},
		{"http://[::1", `"http://[::1" is not an http:// or https:// URL`},
	} {
		r := run(t, "probe", c.url)
		if r.code != cli.ExitUsage || !strings.Contains(r.err, c.msg) {
			t.Errorf("probe %q: exit %d, stderr %q; want exit 2 saying %q", c.url, r.code, r.err, c.msg)
		}
	}
}

// Every setting of compose's lore.env.example, uncommented as an admin
// fills it in, makes a configuration lore serve accepts: enabling an
// adapter there brings the settings it needs.
func TestComposeEnvExampleIsAValidConfiguration(t *testing.T) {
	data, err := os.ReadFile(filepath.Join(deployDir, "compose", "lore.env.example"))
	if err != nil {
		t.Fatal(err)
	}
	env := map[string]string{}
	for line := range strings.Lines(string(data)) {
		line = strings.TrimSpace(strings.TrimPrefix(strings.TrimSpace(line), "#"))
		name, value, ok := strings.Cut(line, "=")
		if !ok || !regexp.MustCompile(`^LORE_[A-Z0-9_]+$`).MatchString(name) {
			continue
		}
		env[name] = value
	}
	if env["LORE_DATABASE_URL"] == "" || env["LORE_SLACK_BOT_TOKEN"] == "" || env["LORE_DISCORD_TOKEN"] == "" {
		t.Fatalf("lore.env.example lacks the database or the chat tokens: %v", sortedKeys(env))
	}
	r := runEnv(t, env, "config", "check")
	if r.code != cli.ExitOK {
		t.Fatalf("lore.env.example with every line filled in: exit %d\n%s", r.code, r.err)
	}
}

// ignored reports whether a .gitignore or .dockerignore at the repository
// root excludes path (slash-separated, from the root). It knows the forms
// those files use here: a name matching at any depth (git) or a path from
// the root, with * and a leading **/, matching a folder's contents too.
func ignored(t *testing.T, file, path string, git bool) bool {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(deployDir, "..", file))
	if err != nil {
		t.Fatal(err)
	}
	match := func(pattern, p string) bool {
		ok, _ := filepath.Match(pattern, p)
		return ok
	}
	out := false
	for line := range strings.Lines(string(data)) {
		pattern := strings.TrimSpace(line)
		if pattern == "" || strings.HasPrefix(pattern, "#") {
			continue
		}
		negate := strings.HasPrefix(pattern, "!")
		pattern = strings.TrimSuffix(strings.TrimPrefix(strings.TrimPrefix(pattern, "!"), "/"), "/")
		anyDepth := strings.HasPrefix(pattern, "**/")
		pattern = strings.TrimPrefix(pattern, "**/")
		if git && !strings.Contains(pattern, "/") {
			anyDepth = true
		}
		parts := strings.Split(path, "/")
		hit := false
		for i := range parts { // the path or a folder holding it
			for j := range parts {
				if j > 0 && !anyDepth {
					break
				}
				if j <= i && match(pattern, strings.Join(parts[j:i+1], "/")) {
					hit = true
				}
			}
		}
		if hit {
			out = !negate
		}
	}
	return out
}

// The secrets an admin creates for compose (lore.env with the tokens,
// db_password.txt) are neither committed nor sent into an image build, nor
// are local databases; the sources the image needs are.
func TestDeploySecretsStayOutOfGitAndImages(t *testing.T) {
	secrets := []string{"deploy/compose/lore.env", "deploy/compose/db_password.txt"}
	for _, p := range secrets {
		if !ignored(t, ".gitignore", p, true) {
			t.Errorf(".gitignore does not ignore %s", p)
		}
	}
	for _, p := range append(secrets, "lore.db", "data/lore.db-wal", ".git", "bin/lore") {
		if !ignored(t, ".dockerignore", p, false) {
			t.Errorf(".dockerignore does not keep %s out of the image build", p)
		}
	}
	for _, p := range []string{"go.mod", "go.sum", "cmd/lore/main.go", "store/postgres/migrations/0001_init.sql", "deploy/compose/lore.env.example", "knowledge/handbook/questions.json"} {
		if ignored(t, ".dockerignore", p, false) {
			t.Errorf(".dockerignore keeps %s, which the build needs, out of it", p)
		}
	}
}

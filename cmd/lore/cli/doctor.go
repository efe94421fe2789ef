package cli

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"slices"
	"time"

	"github.com/spf13/cobra"

	"github.com/lorehq/lore/knowledge"
	"github.com/lorehq/lore/knowledge/llm"
	"github.com/lorehq/lore/store"
)

// doctorTimeout bounds each check against the model endpoint.
const doctorTimeout = 15 * time.Second

func (a *app) doctorCommand() *cobra.Command {
	return &cobra.Command{
		Use:   "doctor",
		Short: "Check the database, the model endpoint and the models",
		Long: `Check that the database answers, that the OpenAI-compatible endpoint is
reachable and accepts the key, that it serves the chat and embedding models,
that embeddings have the configured dimension, and that the knowledge base's
vectors come from the configured embedder. Each problem is said in plain
words with what to do. Exit status 1 when anything is wrong.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			d := &doctor{out: a.io.Out}
			a.checkAll(cmd.Context(), d)
			if d.failed > 0 {
				return &exitError{code: ExitFailure, err: fmt.Errorf("%d problem(s) found", d.failed)}
			}
			fmt.Fprintln(a.io.Out, "Everything looks fine.")
			return nil
		},
	}
}

type doctor struct {
	out    interface{ Write([]byte) (int, error) }
	failed int
}

func (d *doctor) ok(what, detail string) { fmt.Fprintf(d.out, "ok    %s: %s\n", what, detail) }
func (d *doctor) fail(what, detail string) {
	d.failed++
	fmt.Fprintf(d.out, "FAIL  %s: %s\n", what, detail)
}

func (a *app) checkAll(ctx context.Context, d *doctor) {
	models, err := a.readModelSettings()
	if err != nil {
		d.fail("settings", err.Error())
		return
	}
	svc, err := a.open(ctx)
	if err != nil {
		d.fail("database", err.Error())
	} else {
		defer svc.Close()
		if err := svc.store.Ping(ctx); err != nil {
			d.fail("database", err.Error())
		} else {
			d.ok("database", "reachable")
		}
	}
	if !models.enabled() {
		d.ok("models", "none configured: offline answers (quoted passages) and the offline embedder; set LORE_CHAT_MODEL and LORE_EMBEDDING_MODEL to use a model")
	} else {
		checkModels(ctx, d, models)
	}
	if svc != nil {
		checkSpace(ctx, d, svc.store, models)
	}
}

func checkModels(ctx context.Context, d *doctor, m modelSettings) {
	cfg := m.llmConfig()
	cfg.MaxRetries = -1
	cfg.Timeout = doctorTimeout
	client, err := llm.New(cfg)
	if err != nil {
		d.fail("model settings", err.Error())
		return
	}
	endpoint := "endpoint " + shownURL(client.Config().BaseURL)
	served, err := client.Models(ctx)
	switch {
	case errors.Is(err, llm.ErrUnauthorized):
		d.fail(endpoint, "it refused the API key: check LORE_OPENAI_API_KEY")
		return
	case errors.Is(err, llm.ErrUnavailable):
		d.fail(endpoint, "cannot be reached or failed on its side: check LORE_OPENAI_BASE_URL and that the server runs ("+err.Error()+")")
		return
	case err != nil:
		// Some servers (Azure deployments) do not list models; the
		// model checks below still tell.
		d.ok(endpoint, "reachable (it does not list its models)")
	default:
		d.ok(endpoint, fmt.Sprintf("reachable, serves %d models", len(served)))
	}
	listed := func(model string) string {
		if len(served) > 0 && !slices.Contains(served, model) {
			return fmt.Sprintf(" (note: %q is not in the endpoint's model list)", model)
		}
		return ""
	}
	if m.ChatModel != "" {
		chat, _ := llm.NewChat(client)
		reply, err := chat.Complete(ctx, []knowledge.ChatMessage{{Role: knowledge.RoleUser, Content: "Reply with the word OK."}}, nil)
		if err != nil {
			d.fail("chat model "+m.ChatModel, plainModelError(err, "LORE_CHAT_MODEL"))
		} else {
			d.ok("chat model "+m.ChatModel, fmt.Sprintf("answers (%d characters)%s", len(reply), listed(m.ChatModel)))
		}
	}
	if m.EmbeddingModel != "" {
		e, _ := llm.NewEmbedder(client)
		vecs, err := e.Embed(ctx, []string{"Lore doctor"})
		if err != nil {
			d.fail("embedding model "+m.EmbeddingModel, plainModelError(err, "LORE_EMBEDDING_MODEL"))
		} else {
			d.ok("embedding model "+m.EmbeddingModel, fmt.Sprintf("returns %d-dimension vectors%s", len(vecs[0]), listed(m.EmbeddingModel)))
		}
	}
}

// shownURL is an endpoint's URL as it is called, without the user name
// and password it may carry.
func shownURL(s string) string {
	u, err := url.Parse(s)
	if err != nil || u.User == nil {
		return s
	}
	u.User = nil
	return u.String()
}

func plainModelError(err error, setting string) string {
	switch {
	case errors.Is(err, llm.ErrModelNotFound):
		return "the endpoint does not serve this model: check " + setting
	case errors.Is(err, llm.ErrDimension):
		return err.Error()
	case errors.Is(err, llm.ErrUnauthorized):
		return "the endpoint refused the API key for this model: check LORE_OPENAI_API_KEY"
	case errors.Is(err, llm.ErrRateLimited):
		return "the endpoint is rate limiting requests; try again later or raise the quota"
	}
	return err.Error()
}

// checkSpace compares the knowledge base's vectors with the configured
// embedder.
func checkSpace(ctx context.Context, d *doctor, st store.Store, m modelSettings) {
	e, ok := st.(store.Embeddings)
	if !ok {
		return
	}
	sp, err := e.EmbeddingSpace(ctx)
	if err != nil {
		d.fail("vectors", err.Error())
		return
	}
	want := "hashed-v1"
	if m.EmbeddingModel != "" {
		want = llm.NamePrefix + m.EmbeddingModel
	}
	switch {
	case sp.Dimensions == 0:
		d.ok("vectors", "the knowledge base is empty")
	case sp.Embedder == "" && want == "hashed-v1", sp.Embedder == want && (m.EmbeddingModel == "" || sp.Dimensions == m.EmbeddingDimensions):
		d.ok("vectors", "come from the configured embedder, "+want)
	default:
		from := sp.Embedder
		if from == "" {
			from = "hashed-v1"
		}
		d.fail("vectors", fmt.Sprintf("come from %s (%d dimensions), not the configured %s: run 'lore reindex' (answers use the old vectors until it finishes)", from, sp.Dimensions, want))
	}
}

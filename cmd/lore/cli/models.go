package cli

import (
	"errors"
	"fmt"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/lorehq/lore/knowledge"
	"github.com/lorehq/lore/knowledge/embed"
	"github.com/lorehq/lore/knowledge/llm"
	"github.com/lorehq/lore/store"
)

// modelSettings say which OpenAI-compatible endpoint and models Lore uses.
// They come from Lore's configuration (the YAML file, then the
// environment, which wins: see config.go). With no model named, Lore stays offline: extractive answers
// and the hashed embedder.
type modelSettings struct {
	BaseURL             string
	APIKey              llm.Secret
	Azure               bool
	APIVersion          string
	ChatModel           string
	EmbeddingModel      string
	EmbeddingDimensions int
	AnswerTimeout       time.Duration
	ContextTokens       int
}

// defaultBaseURL is used when a model is named but no endpoint is.
const defaultBaseURL = "https://api.openai.com/v1"

func (m modelSettings) enabled() bool { return m.ChatModel != "" || m.EmbeddingModel != "" }

// readModelSettings reads the model settings from the configuration.
// Errors name the setting and never echo the key.
func (a *app) readModelSettings() (modelSettings, error) {
	var m modelSettings
	str := func(env string, dst *string) {
		if v := strings.TrimSpace(a.getenv(env)); v != "" {
			*dst = v
		}
	}
	str("LORE_OPENAI_BASE_URL", &m.BaseURL)
	if v := strings.TrimSpace(a.getenv("LORE_OPENAI_API_KEY")); v != "" {
		m.APIKey = llm.Secret(v)
	}
	str("LORE_OPENAI_API_VERSION", &m.APIVersion)
	str("LORE_CHAT_MODEL", &m.ChatModel)
	str("LORE_EMBEDDING_MODEL", &m.EmbeddingModel)
	var errs []error
	if v := strings.TrimSpace(a.getenv("LORE_OPENAI_AZURE")); v != "" {
		b, err := strconv.ParseBool(v)
		if err != nil {
			errs = append(errs, fmt.Errorf("LORE_OPENAI_AZURE=%q is not true or false", v))
		}
		m.Azure = b
	}
	if v := strings.TrimSpace(a.getenv("LORE_EMBEDDING_DIMENSIONS")); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n <= 0 {
			errs = append(errs, fmt.Errorf("LORE_EMBEDDING_DIMENSIONS=%q is not a positive whole number", v))
		}
		m.EmbeddingDimensions = n
	}
	if v := strings.TrimSpace(a.getenv("LORE_ANSWER_TIMEOUT")); v != "" {
		d, err := time.ParseDuration(v)
		if err != nil || d <= 0 {
			errs = append(errs, fmt.Errorf("LORE_ANSWER_TIMEOUT=%q is not a duration such as 20s", v))
		}
		m.AnswerTimeout = d
	}
	if v := strings.TrimSpace(a.getenv("LORE_CONTEXT_TOKENS")); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 500 {
			errs = append(errs, fmt.Errorf("LORE_CONTEXT_TOKENS=%q is not a whole number of at least 500", v))
		}
		m.ContextTokens = n
	}
	if m.enabled() && m.Azure && m.BaseURL == "" {
		errs = append(errs, errors.New("LORE_OPENAI_AZURE needs LORE_OPENAI_BASE_URL, the resource endpoint (https://NAME.openai.azure.com)"))
	}
	if m.enabled() && m.BaseURL == "" {
		m.BaseURL = defaultBaseURL
	}
	if m.enabled() && m.APIKey == "" {
		// These endpoints refuse every request without a key: every
		// answer would fall back, and no vector could be made.
		if m.Azure {
			errs = append(errs, errors.New("Azure OpenAI needs LORE_OPENAI_API_KEY"))
		} else if u, err := url.Parse(m.BaseURL); err == nil && strings.EqualFold(u.Hostname(), "api.openai.com") {
			errs = append(errs, errors.New("OpenAI's endpoint needs LORE_OPENAI_API_KEY (a local server such as Ollama does not: set LORE_OPENAI_BASE_URL)"))
		}
	}
	if m.enabled() {
		if err := m.llmConfig().Validate(); err != nil {
			errs = append(errs, err)
		}
	}
	if err := errors.Join(errs...); err != nil {
		return modelSettings{}, usageErrorf("model settings: %v", err)
	}
	return m, nil
}

func (m modelSettings) llmConfig() llm.Config {
	return llm.Config{
		BaseURL: m.BaseURL, APIKey: m.APIKey, Azure: m.Azure, APIVersion: m.APIVersion,
		ChatModel: m.ChatModel, EmbeddingModel: m.EmbeddingModel, EmbeddingDimensions: m.EmbeddingDimensions,
	}
}

// knowledgeOptions turns the settings into the knowledge capability's
// options: the chat model, the embedder, and embedders for vectors that
// an earlier model produced.
func (m modelSettings) knowledgeOptions() (knowledge.Options, *llm.Client, error) {
	opts := knowledge.Options{AnswerTimeout: m.AnswerTimeout, ContextTokens: m.ContextTokens}
	if !m.enabled() {
		return opts, nil, nil
	}
	client, err := llm.New(m.llmConfig())
	if err != nil {
		return opts, nil, usageErrorf("%v", err)
	}
	if m.ChatModel != "" {
		chat, err := llm.NewChat(client)
		if err != nil {
			return opts, nil, err
		}
		opts.Model = chat
	}
	if m.EmbeddingModel != "" {
		e, err := llm.NewEmbedder(client)
		if err != nil {
			return opts, nil, err
		}
		opts.Embedder = e
	}
	opts.EmbedderFor = func(sp store.EmbeddingSpace) (embed.Embedder, error) {
		model, ok := strings.CutPrefix(sp.Embedder, llm.NamePrefix)
		if !ok {
			return nil, fmt.Errorf("no embedder for %s", sp.Embedder)
		}
		return client.Embedder(model, sp.Dimensions)
	}
	return opts, client, nil
}

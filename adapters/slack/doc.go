// Package slack is Lore's Slack app: it turns what Slack delivers (Events
// API events, /lore slash commands, button presses, the Save to knowledge
// message shortcut) into platform-neutral bot.Message, bot.Action and
// bot.SaveRequest values, and renders each bot.Reply as Block Kit in the
// thread it belongs to.
//
// # Connection
//
// Socket Mode is the default: Run opens a websocket with the app-level
// token, so no public URL is needed. HTTP mode serves the same deliveries
// from Handler (/slack/events, /slack/commands, /slack/interactivity) for
// deployments behind a load balancer; every request is checked against the
// signing secret by Verifier. Either way a delivery is acknowledged at once
// and worked in the background, because Slack retries anything not
// acknowledged within three seconds.
//
// # Exactly once
//
// Slack retries events (X-Slack-Retry-Num) and redelivers them over a new
// socket; with several replicas each may receive a copy. Every event is
// claimed by its event_id through the store (Claims) before any work, so
// one replica answers and the others drop it.
//
// # Safety
//
// Text from documents and people is escaped for mrkdwn (see Escape): it
// cannot mention @channel, @here, user groups or users, and links are
// shown with their address. Tokens and the signing secret are Secret
// values, which redact themselves when printed or logged. Web API calls go
// through a pacer that honours Retry-After on HTTP 429, so bursts are
// queued, not lost.
package slack

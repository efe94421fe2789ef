package review

import (
	"testing"
	"time"

	"github.com/lorehq/lore/store/queue"
)

// Reminders are chat messages: the job waits in the chat queue for a
// replica with chat adapters, whether it is the daily one or asked for by
// 'lore review --send', and the daily one stays unique by the day.
func TestRemindJobsGoToTheChatQueue(t *testing.T) {
	if q := (RemindArgs{}).InsertOpts().Queue; q != queue.ChatQueue {
		t.Errorf("a reminder run asked for by hand goes to queue %q, want %q", q, queue.ChatQueue)
	}
	opts := periodicInsertOpts()
	if opts.Queue != queue.ChatQueue {
		t.Errorf("the daily reminder run goes to queue %q, want %q", opts.Queue, queue.ChatQueue)
	}
	if opts.UniqueOpts.ByPeriod != 24*time.Hour || opts.MaxAttempts != 3 {
		t.Errorf("the daily reminder run's options: %+v", opts)
	}
}

package loadtest

import (
	"context"
	"strings"
	"testing"

	"github.com/willay-pe/willay/internal/testredis"
)

func TestRunBroadcastQueuesEveryRecipientAndCleansUp(t *testing.T) {
	r := testredis.New(t)
	var out strings.Builder
	rep, err := RunBroadcast(context.Background(), BroadcastOptions{RedisURL: r.URL, Recipients: 300,
		Flows: "../../flows", Locales: "../../locales", Out: &out})
	if err != nil {
		t.Fatalf("RunBroadcast: %v\n%s", err, out.String())
	}
	if rep.Queued != 300 || rep.QueueTasks != 300 || rep.Floor <= 0 || rep.Ratio <= 0 {
		t.Errorf("report %+v", rep)
	}
	for _, want := range []string{"floor: 300 bare pipeline sends", "broadcast: confirmation to 300 messages queued (300 tasks in the queue)",
		"(goal < 2s): ", "ratio broadcast/floor: ", "one tick (dispatch + summary check) while the 300 messages wait: ", "clean-up: deleted"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("report lacks %q:\n%s", want, out.String())
		}
	}
	if rep.TickCommands == 0 || rep.TickCommands > 10 {
		t.Errorf("one tick sent %d Redis commands for a broadcast of 300 waiting: it must not read each message", rep.TickCommands)
	}
	if rep.Left != 0 {
		t.Errorf("%d keys left", rep.Left)
	}
	assertNoKeys(t, r, rep.Prefix)
}

// Command notify is the xietong-notify function: it drains the notification
// outbox into DingTalk within DingTalk's limits, on its timer trigger and on a
// direct invocation {"action":"drain"} (which answers with the counts), keeping
// each project's group chat and milestone review events in step; its
// "reminders" trigger queues the due-tomorrow and overdue task reminders.
package main

import (
	"context"

	"github.com/xietong/xietong/shared/outbox"
	"github.com/xietong/xietong/shared/projects"
	"github.com/xietong/xietong/shared/runtime"
	"github.com/xietong/xietong/shared/tasksapi"
)

func main() {
	runtime.Main("notify", func(getenv func(string) string) (runtime.Function, error) {
		d, err := outbox.FromEnv(getenv, withProjects)
		if err != nil {
			return runtime.Function{}, err
		}
		rem, err := tasksapi.NewReminders(d.Store(), tasksapi.Config{})
		if err != nil {
			return runtime.Function{}, err
		}
		timer := func(ctx context.Context, ev runtime.TimerEvent) error {
			if ev.TriggerName == tasksapi.ReminderTrigger {
				return rem.Timer(ctx, ev, d.Corps())
			}
			return d.Timer(ctx, ev)
		}
		return runtime.Function{Timer: timer, Invoke: d.Invoke}, nil
	})
}

// withProjects lets the drainer read projects for chats and calendar events.
func withProjects(c *outbox.Config) error {
	src, err := projects.NewSource(c.Store)
	c.Chats, c.Events = src, src
	return err
}

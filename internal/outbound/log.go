package outbound

import (
	"fmt"
	"log/slog"
	"os"
)

// asynqLogger writes asynq's own messages through the service's logger.
type asynqLogger struct{ l *slog.Logger }

func (a asynqLogger) Debug(args ...any) { a.l.Debug("asynq: " + fmt.Sprint(args...)) }
func (a asynqLogger) Info(args ...any)  { a.l.Info("asynq: " + fmt.Sprint(args...)) }
func (a asynqLogger) Warn(args ...any)  { a.l.Warn("asynq: " + fmt.Sprint(args...)) }
func (a asynqLogger) Error(args ...any) { a.l.Error("asynq: " + fmt.Sprint(args...)) }
func (a asynqLogger) Fatal(args ...any) {
	a.l.Error("asynq: " + fmt.Sprint(args...))
	os.Exit(1)
}

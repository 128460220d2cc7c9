package main

import (
	"context"
	"errors"
	"io"
)

func loadCmd(ctx context.Context, args []string, out io.Writer) error {
	return errors.New("load: not built yet")
}

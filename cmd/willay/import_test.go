package main

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/willay-pe/willay/internal/testredis"
)

func TestImportCommand(t *testing.T) {
	r := testredis.New(t)
	t.Setenv("REDIS_URL", r.URL)
	t.Setenv("WILLAY_REDIS_PREFIX", r.Prefix)
	dir := t.TempDir()
	good := filepath.Join(dir, "participants.csv")
	os.WriteFile(good, []byte("phone,name,language,community,district,region,group,coach_phone\n987654321,Rosa Quispe,es,Santa Rosa,Yauli,Huancavelica,G1,\n"), 0o644)
	bad := filepath.Join(dir, "bad.csv")
	os.WriteFile(bad, []byte("phone,name,language,community,district,region,group,coach_phone\n98765,Rosa,es,,,,G1,\n987654322,Ana,fr,,,,G1,\n"), 0o644)

	var out, errOut strings.Builder
	code, err := run(context.Background(), []string{"import", "participants", good}, nil, &out, &errOut)
	if code != 0 || err != nil || !strings.Contains(out.String(), "participants: 1 rows imported") {
		t.Fatalf("good file: %d %v %q", code, err, out.String())
	}
	if n, _ := r.Client.Exists(context.Background(), r.Prefix+"p:+51987654321").Result(); n != 1 {
		t.Error("the participant is not in Redis under the prefix")
	}

	out.Reset()
	code, err = run(context.Background(), []string{"import", "participants", bad}, nil, &out, &errOut)
	if code == 0 || err == nil {
		t.Fatalf("a bad file must fail: %d %v", code, err)
	}
	for _, want := range []string{`line 2, column phone, value "***65"`, `line 3, column language, value "fr"`} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("output lacks %q:\n%s", want, out.String())
		}
	}
	if n, _ := r.Client.Exists(context.Background(), r.Prefix+"p:+51987654322").Result(); n != 0 {
		t.Error("a file with bad rows must apply nothing")
	}

	code, err = run(context.Background(), []string{"import", "pets", good}, nil, &out, &errOut)
	if code == 0 || err == nil || !strings.Contains(err.Error(), `unknown kind "pets"`) {
		t.Errorf("unknown kind: %d %v", code, err)
	}
}

package engine

import (
	"os"
	"strings"
	"testing"
)

// TestFlowsREADMEDocumentsEveryAction keeps the staff's guide in step with
// the code: every action and validator a flow may name is described there.
func TestFlowsREADMEDocumentsEveryAction(t *testing.T) {
	doc, err := os.ReadFile("../../flows/README.md")
	if err != nil {
		t.Fatal(err)
	}
	for name, a := range Actions() {
		row := "| `" + name + "` |"
		if !strings.Contains(string(doc), row) {
			t.Errorf("flows/README.md does not describe action %s", name)
			continue
		}
		line := string(doc)[strings.Index(string(doc), row):]
		line = line[:strings.IndexByte(line, '\n')]
		for _, o := range a.Outcomes {
			if !strings.Contains(line, "`"+o+"`") {
				t.Errorf("flows/README.md: action %s does not list outcome %s", name, o)
			}
		}
	}
	for name := range validators {
		if !strings.Contains(string(doc), "| `"+name+"` |") {
			t.Errorf("flows/README.md does not describe validator %s", name)
		}
	}
}

package sqs

import (
	"encoding/json"
	"os"
	"os/exec"
	"strings"
	"testing"
)

// TestAWSCLI runs the AWS CLI against the server: in CI always (Debian's
// awscli 2.9 speaks the query protocol, newer CLIs speak JSON), elsewhere
// if it is installed. FERRY_AWS_CLI names another binary to try.
func TestAWSCLI(t *testing.T) {
	name := "aws"
	if v := os.Getenv("FERRY_AWS_CLI"); v != "" {
		name = v
	}
	path, err := exec.LookPath(name)
	if err != nil {
		if os.Getenv("CI") != "" {
			t.Fatal("aws CLI not on PATH: .ci/run installs Debian's awscli; CI must run this test")
		}
		t.Skip("aws CLI not on PATH: install awscli to run this test")
	}
	if testing.Short() {
		t.Skip("-short: not starting the AWS CLI")
	}
	e := newEnv(t, nil)
	home := t.TempDir()
	run := func(args ...string) string {
		t.Helper()
		cmd := exec.CommandContext(ctx(t), path, append([]string{"--endpoint-url", e.endpoint(), "--region", "us-east-1", "--output", "json", "sqs"}, args...)...)
		cmd.Env = append(os.Environ(), "AWS_ACCESS_KEY_ID=cli", "AWS_SECRET_ACCESS_KEY=cli", "HOME="+home,
			"AWS_CONFIG_FILE="+home+"/config", "AWS_SHARED_CREDENTIALS_FILE="+home+"/credentials", "AWS_PAGER=")
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("aws sqs %s: %v\n%s", strings.Join(args, " "), err, out)
		}
		return string(out)
	}
	var created struct{ QueueUrl string }
	if err := json.Unmarshal([]byte(run("create-queue", "--queue-name", "cli", "--attributes", "VisibilityTimeout=40")), &created); err != nil {
		t.Fatal(err)
	}
	if !strings.HasSuffix(created.QueueUrl, "/000000000000/cli") {
		t.Fatalf("QueueUrl %q", created.QueueUrl)
	}
	run("send-message", "--queue-url", created.QueueUrl, "--message-body", "from the cli",
		"--message-attributes", `{"k":{"DataType":"String","StringValue":"v"}}`)
	var got struct {
		Messages []struct {
			Body              string
			ReceiptHandle     string
			MessageAttributes map[string]struct{ StringValue string }
		}
	}
	if err := json.Unmarshal([]byte(run("receive-message", "--queue-url", created.QueueUrl, "--message-attribute-names", "All")), &got); err != nil {
		t.Fatal(err)
	}
	if len(got.Messages) != 1 || got.Messages[0].Body != "from the cli" || got.Messages[0].MessageAttributes["k"].StringValue != "v" {
		t.Fatalf("received %+v", got)
	}
	run("delete-message", "--queue-url", created.QueueUrl, "--receipt-handle", got.Messages[0].ReceiptHandle)
	if st := e.stats("cli"); st.Ready+st.Unacked != 0 {
		t.Fatalf("left %+v", st)
	}
}

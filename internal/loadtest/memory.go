package loadtest

import (
	"context"
	"fmt"
	"io"
	"math/rand/v2"
	"slices"
	"strings"

	"github.com/redis/go-redis/v9"

	"github.com/willay-pe/willay/internal/redisstore"
)

// sampleSize is how many participants MEMORY USAGE looks at.
const sampleSize = 1000

// snap is Redis's own accounting at one moment; ok is false on a server
// that does not report it (miniredis).
type snap struct {
	used, cpu float64
	ok        bool
}

func snapshot(ctx context.Context, be *backend) snap {
	used, ok1 := infoField(ctx, be.client, "memory", "used_memory")
	user, ok2 := infoField(ctx, be.client, "cpu", "used_cpu_user")
	sys, ok3 := infoField(ctx, be.client, "cpu", "used_cpu_sys")
	return snap{used: used, cpu: user + sys, ok: ok1 && ok2 && ok3}
}

// memoryEstimate holds two estimates of memory per participant: the
// growth of used_memory, which other clients of a shared Redis can
// disturb, and MEMORY USAGE of sampled keys, which they cannot.
type memoryEstimate struct {
	Before, After snap
	PerInfo       float64 // (after - before) / participants; 0 without INFO
	RedisCPU      float64 // seconds of server CPU during the import, all clients
	Sampled       int
	PerSample     float64 // a participant's hash plus its share of the group set
	HashBytes     float64
	SetShare      float64
	Encodings     map[string]encodingShare // of the sampled hashes; empty on miniredis
}

// encodingShare is how many sampled hashes Redis stores one way, and
// their mean size: it shows what the listpack limits are worth.
type encodingShare struct {
	Count int
	Bytes float64
}

// Met tells whether every estimate available is under the goal.
func (m memoryEstimate) Met() bool {
	return m.PerSample > 0 && m.PerSample < GoalBytesPerParticipant &&
		(!m.Before.ok || m.PerInfo < GoalBytesPerParticipant)
}

func estimate(ctx context.Context, be *backend, prefix string, n int, before snap) (memoryEstimate, error) {
	m := memoryEstimate{Before: before, After: snapshot(ctx, be), Encodings: map[string]encodingShare{}}
	if m.Before.ok && m.After.ok {
		m.PerInfo = (m.After.used - m.Before.used) / float64(n)
		m.RedisCPU = m.After.cpu - m.Before.cpu
	} else {
		m.Before.ok = false
	}
	return m, m.sample(ctx, be, redisstore.Keys{Prefix: prefix}, n)
}

// sample asks MEMORY USAGE about random participants and their groups; a
// group's set is shared by its members, so each carries its part.
func (m *memoryEstimate) sample(ctx context.Context, be *backend, keys redisstore.Keys, n int) error {
	idx := pick(n, sampleSize)
	samples := samplesArg(ctx, be.client, keys.Members(groupOf(idx[0])))
	type probe struct{ hash, set, members *redis.IntCmd }
	probes := make([]probe, len(idx))
	encodings := make([]*redis.StringCmd, len(idx))
	pipe := be.client.Pipeline()
	for k, i := range idx {
		p, g := keys.Person(participantPhone(i)), keys.Members(groupOf(i))
		probes[k] = probe{pipe.MemoryUsage(ctx, p, samples...), pipe.MemoryUsage(ctx, g, samples...), pipe.SCard(ctx, g)}
		encodings[k] = pipe.ObjectEncoding(ctx, p)
	}
	_, _ = pipe.Exec(ctx) // miniredis has no OBJECT ENCODING; other errors are checked per command
	for k, pr := range probes {
		for _, c := range []*redis.IntCmd{pr.hash, pr.set, pr.members} {
			if err := c.Err(); err != nil {
				return fmt.Errorf("memory sample: %v: %w", c.Args(), err)
			}
		}
		m.HashBytes += float64(pr.hash.Val())
		m.SetShare += float64(pr.set.Val()) / float64(max(pr.members.Val(), 1))
		if enc, err := encodings[k].Result(); err == nil {
			e := m.Encodings[enc]
			e.Count++
			e.Bytes += (float64(pr.hash.Val()) - e.Bytes) / float64(e.Count)
			m.Encodings[enc] = e
		}
	}
	m.Sampled = len(idx)
	m.HashBytes /= float64(m.Sampled)
	m.SetShare /= float64(m.Sampled)
	m.PerSample = m.HashBytes + m.SetShare
	return nil
}

// samplesArg is SAMPLES 0, so that MEMORY USAGE counts every member of a
// set rather than estimating from five, when the server accepts it
// (miniredis does not).
func samplesArg(ctx context.Context, rdb *redis.Client, key string) []int {
	if err := rdb.MemoryUsage(ctx, key, 0).Err(); err != nil {
		return nil
	}
	return []int{0}
}

// pick returns k distinct indices below n, or all of them when n <= k.
func pick(n, k int) []int {
	if n <= k {
		out := make([]int, n)
		for i := range out {
			out[i] = i
		}
		return out
	}
	seen := make(map[int]bool, k)
	for len(seen) < k {
		seen[rand.IntN(n)] = true
	}
	out := make([]int, 0, k)
	for i := range seen {
		out = append(out, i)
	}
	slices.Sort(out)
	return out
}

func (m memoryEstimate) print(out io.Writer) {
	if m.Before.ok {
		fmt.Fprintf(out, "memory (INFO used_memory): %.0f -> %.0f bytes, %.0f bytes per participant\n", m.Before.used, m.After.used, m.PerInfo)
		fmt.Fprintf(out, "redis server CPU during the import: %.1fs (user+sys, all clients)\n", m.RedisCPU)
	} else {
		fmt.Fprintln(out, "memory (INFO used_memory): not reported by this server")
	}
	fmt.Fprintf(out, "memory (MEMORY USAGE of %d random participants): %.0f bytes per participant (hash %.0f + group set share %.0f)\n",
		m.Sampled, m.PerSample, m.HashBytes, m.SetShare)
	if len(m.Encodings) > 0 {
		fmt.Fprintf(out, "sampled hash encodings: %s\n", encodings(m.Encodings))
	}
	fmt.Fprintf(out, "goal: < %d bytes per participant: %s (%s)\n", GoalBytesPerParticipant, Met(m.Met()), m.basis())
}

func (m memoryEstimate) basis() string {
	if m.Before.ok {
		return fmt.Sprintf("used_memory growth %.0f, sample %.0f", m.PerInfo, m.PerSample)
	}
	return fmt.Sprintf("sample %.0f only", m.PerSample)
}

func encodings(shares map[string]encodingShare) string {
	names := make([]string, 0, len(shares))
	for name := range shares {
		names = append(names, name)
	}
	slices.Sort(names)
	parts := make([]string, len(names))
	for i, name := range names {
		parts[i] = fmt.Sprintf("%s %d (%.0f bytes each)", name, shares[name].Count, shares[name].Bytes)
	}
	return strings.Join(parts, ", ")
}

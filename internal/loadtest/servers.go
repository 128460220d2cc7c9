package loadtest

import (
	"cmp"
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"log/slog"
	"net"
	"net/http"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/redis/go-redis/v9"

	"github.com/willay-pe/willay/internal/app"
	"github.com/willay-pe/willay/internal/config"
)

// hopPath is where both servers answer, so the two sides get byte-for-byte
// the same requests.
const hopPath = "/ussd/africastalking"

// floorTTL matches Willay's default session idle time, so the floor's
// SET costs what Willay's session write costs.
const floorTTL = 180 * time.Second

// serveLocal serves h over real TCP on a free loopback port, the way a
// gateway reaches Willay, and returns the hop URL and a stop function.
func serveLocal(h http.Handler) (string, func(), error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", nil, err
	}
	srv := &http.Server{Handler: h, ReadHeaderTimeout: 5 * time.Second}
	go func() { _ = srv.Serve(ln) }()
	stop := func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = srv.Shutdown(ctx)
	}
	return "http://" + ln.Addr().String() + hopPath, stop, nil
}

// startWillay builds the whole service as `willay serve` does, with demo
// data under prefix; getenv supplies the rest of the configuration.
func startWillay(ctx context.Context, redisURL, prefix string, getenv func(string) string, log *slog.Logger) (string, func(), error) {
	key := make([]byte, 32)
	_, _ = rand.Read(key)
	cfg, err := config.FromEnv(func(k string) string {
		switch k {
		case "REDIS_URL":
			return redisURL
		case "WILLAY_REDIS_PREFIX":
			return prefix
		case "WILLAY_DEMO":
			return "true"
		case "WILLAY_PIN_KEY": // made-up people under a prefix of their own, keyed by this run
			return cmp.Or(getenv(k), hex.EncodeToString(key))
		}
		return getenv(k)
	})
	if err != nil {
		return "", nil, err
	}
	a, err := app.New(ctx, cfg, log, nil)
	if err != nil {
		return "", nil, err
	}
	url, stop, err := serveLocal(a.Handler)
	if err != nil {
		a.Close()
		return "", nil, err
	}
	return url, func() { stop(); a.Close() }, nil
}

// floorHandler is the least a USSD service can do per hop: read the form
// and make one Redis round trip that reads and writes a session. Willay
// cannot be faster than this on the same machine and Redis.
func floorHandler(rdb *redis.Client, prefix string) http.Handler {
	gin.SetMode(gin.ReleaseMode)
	r := gin.New()
	r.POST(hopPath, func(c *gin.Context) {
		id := c.PostForm("sessionId")
		_, _, _ = c.PostForm("serviceCode"), c.PostForm("phoneNumber"), c.PostForm("networkCode")
		text := c.PostForm("text")
		if id == "" {
			c.String(http.StatusBadRequest, "END missing sessionId")
			return
		}
		key, ctx := prefix+"floor:"+id, c.Request.Context()
		pipe := rdb.Pipeline()
		pipe.Get(ctx, key)
		pipe.Set(ctx, key, text, floorTTL)
		if _, err := pipe.Exec(ctx); err != nil && !errors.Is(err, redis.Nil) {
			c.String(http.StatusOK, "END busy")
			return
		}
		c.String(http.StatusOK, "CON ok")
	})
	return r
}

// floorClient opens Redis with the options app.New uses, so the floor's
// pool and timeouts are Willay's.
func floorClient(url string) (*redis.Client, error) {
	opt, err := redis.ParseURL(url)
	if err != nil {
		return nil, err
	}
	opt.DialTimeout, opt.ReadTimeout, opt.WriteTimeout = 500*time.Millisecond, 500*time.Millisecond, 500*time.Millisecond
	opt.MaxRetries = 1
	opt.ContextTimeoutEnabled = true
	return redis.NewClient(opt), nil
}

// startFloor serves floorHandler on its own Redis client.
func startFloor(redisURL, prefix string) (string, func(), error) {
	rdb, err := floorClient(redisURL)
	if err != nil {
		return "", nil, err
	}
	url, stop, err := serveLocal(floorHandler(rdb, prefix))
	if err != nil {
		_ = rdb.Close()
		return "", nil, err
	}
	return url, func() { stop(); _ = rdb.Close() }, nil
}

// newHTTPClient keeps one connection per phone alive, so neither side pays
// for TCP handshakes the other does not.
func newHTTPClient(phones int) *http.Client {
	tr := &http.Transport{
		MaxIdleConns:        2 * phones,
		MaxIdleConnsPerHost: phones,
		IdleConnTimeout:     time.Minute,
		DisableCompression:  true,
	}
	return &http.Client{Transport: tr, Timeout: 10 * time.Second}
}

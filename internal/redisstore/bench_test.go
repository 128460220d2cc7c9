package redisstore

import (
	"context"
	"testing"

	"github.com/willay-pe/willay/internal/engine"
	"github.com/willay-pe/willay/internal/importer"
	"github.com/willay-pe/willay/internal/program"
)

// BenchmarkHopRedis is what one hop costs in Redis: the load script and the
// session save, against REDIS_URL (or an in-process server).
func BenchmarkHopRedis(b *testing.B) {
	s, _ := newStoreB(b)
	ctx := context.Background()
	phone := "+51987654321"
	_ = s.ApplyParticipants(ctx, []importer.ParticipantRow{{Phone: phone, Name: "Rosa Quispe", Language: "es", Community: "Santa Rosa", District: "Yauli", Region: "Huancavelica", Group: "G1", Coach: "+51911111111"}})
	_ = s.ApplyCoaches(ctx, []importer.CoachRow{{Phone: "+51911111111", Name: "Maximiliano", Language: "qu", Group: "G1"}})
	_ = s.ApplyEvents(ctx, []importer.EventRow{
		{Phone: phone, Event: program.Event{ID: "a", Kind: "visit", Date: "2026-12-01", Time: "09:00", Place: "Su casa", Topic: "Cuyes"}},
		{Group: "G1", Event: program.Event{ID: "b", Kind: "transfer", Date: "2026-12-15", Program: "juntos", Cents: 20000, Place: "Agencia Banco de la Nación Yauli"}},
	})
	sess := &engine.Session{ID: "bench", Phone: phone, Version: "v", Flow: "participant", Node: "main", Ins: []string{"k1", "k2"}, Reply: "CON Hola Rosa. Willay:\n1 Mis ahorros\n2 Visitas"}
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		if _, _, err := s.Load(ctx, "bench", phone); err != nil {
			b.Fatal(err)
		}
		if err := s.Save(ctx, sess); err != nil {
			b.Fatal(err)
		}
	}
}

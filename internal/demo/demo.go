// Package demo owns the made-up people `make run` starts with: a participant
// in each language, their coach, and savings, visits and payments dated
// relative to today, so the menus always have something to show.
package demo

import (
	"context"
	"fmt"
	"time"

	"github.com/willay-pe/willay/internal/importer"
	"github.com/willay-pe/willay/internal/program"
)

// Phone numbers of the demo people, as `make run` prints them.
const (
	Spanish  = "+51900000001"
	Quechua  = "+51900000002"
	Shipibo  = "+51900000003"
	Cusco    = "+51900000004" // registered as quz: served in Quechua
	CoachOne = "+51900000009"
	Stranger = "+51900000099" // not registered
)

// People lists who to dial as, for the start-up banner.
var People = []struct{ Phone, Who string }{
	{Spanish, "Rosa Quispe, Spanish (es)"},
	{Quechua, "Juana Mamani, Quechua (qu)"},
	{Shipibo, "Ynes Sanancino, Shipibo-Konibo (shp)"},
	{Cusco, "Maria Huaman, Cusco Quechua (quz)"},
	{CoachOne, "Maximiliano Ccori, yachachiq (coach menu)"},
	{Stranger, "not registered"},
}

// Seed writes the demo data through the import sink, as an import would.
func Seed(ctx context.Context, sink importer.Sink, now time.Time) error {
	day := func(d int) string { return now.AddDate(0, 0, d).Format("2006-01-02") }
	steps := []func() error{
		func() error {
			return sink.ApplyCoaches(ctx, []importer.CoachRow{
				{Phone: CoachOne, Name: "Maximiliano Ccori", Language: "qu", Group: "HW-HVCA-01"},
				{Phone: CoachOne, Name: "Maximiliano Ccori", Language: "qu", Group: "NJ-UCAY-02"},
			})
		},
		func() error {
			return sink.ApplyParticipants(ctx, []importer.ParticipantRow{
				{Phone: Spanish, Name: "Rosa Quispe Huaman", Language: "es", Community: "Santa Rosa de Pachaclla", District: "Yauli", Region: "Huancavelica", Group: "HW-HVCA-01", Coach: CoachOne},
				{Phone: Quechua, Name: "Juana Mamani Ccora", Language: "qu", Community: "Ccasapata", District: "Yauli", Region: "Huancavelica", Group: "HW-HVCA-01", Coach: CoachOne},
				{Phone: Shipibo, Name: "Ynes Sanancino Rojas", Language: "shp", Community: "San Francisco de Yarinacocha", District: "Yarinacocha", Region: "Ucayali", Group: "NJ-UCAY-02", Coach: CoachOne},
				{Phone: Cusco, Name: "Maria Huaman Condori", Language: "quz", Community: "Pampallacta", District: "Calca", Region: "Cusco", Group: "HW-HVCA-01", Coach: CoachOne},
			})
		},
		func() error {
			return sink.ApplySavings(ctx, []importer.SavingsRow{
				{Phone: Spanish, Cents: 35000, AsOf: day(-7)},
				{Phone: Quechua, Cents: 12050, AsOf: day(-3)},
				{Phone: Shipibo, Cents: 8000, AsOf: day(-10)},
			})
		},
		func() error { return sink.ApplyEvents(ctx, events(day)) },
	}
	for i, step := range steps {
		if err := step(); err != nil {
			return fmt.Errorf("demo data step %d: %w", i+1, err)
		}
	}
	return nil
}

func events(day func(int) string) []importer.EventRow {
	ev := func(id, kind string, d int, tm, place, topic string) program.Event {
		return program.Event{ID: id, Kind: kind, Date: day(d), Time: tm, Place: place, Topic: topic}
	}
	pay := func(id, prog string, d int, cents int64, place string) program.Event {
		return program.Event{ID: id, Kind: program.Transfer, Date: day(d), Program: prog, Cents: cents, Place: place}
	}
	return []importer.EventRow{
		{Phone: Spanish, Event: ev("d1", program.Visit, 1, "09:00", "Su casa", "Biohuerto familiar")},
		{Phone: Quechua, Event: ev("d2", program.Visit, 2, "10:30", "Wasiykipi", "Cuyes")},
		{Phone: Shipibo, Event: ev("d3", program.Visit, 1, "08:00", "Mia xobon", "Piscigranja")},
		{Group: "HW-HVCA-01", Event: ev("d4", program.Training, 3, "14:00", "Local comunal de Santa Rosa", "Cocina mejorada")},
		{Group: "HW-HVCA-01", Event: ev("d5", program.Meeting, 6, "15:00", "Local comunal", "Reunion de ahorro")},
		{Group: "NJ-UCAY-02", Event: ev("d6", program.Meeting, 4, "16:00", "Maloca comunal", "Tsinkiti")},
		{Phone: Spanish, Event: pay("d7", "juntos", 5, 20000, "Agencia Banco de la Nación Yauli")},
		{Phone: Quechua, Event: pay("d8", "juntos", 5, 30000, "Agencia Banco de la Nación Yauli")},
		{Phone: Shipibo, Event: pay("d9", "juntos", 12, 20000, "Carrito pagador, plaza de San Francisco")},
		{Group: "HW-HVCA-01", Event: pay("da", "asset", 20, 45000, "Núcleo Ejecutor Yauli")},
		{Phone: Cusco, Event: pay("db", "juntos", 65, 20000, "Agente Multired Calca")},
	}
}

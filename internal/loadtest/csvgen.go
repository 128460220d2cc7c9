package loadtest

import (
	"bufio"
	"encoding/csv"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"time"

	"github.com/willay-pe/willay/internal/importer"
)

// GroupSize is how many participants share a group, as in a Haku Wiñay
// núcleo.
const GroupSize = 40

// importOrder is the order files must be imported in: the others refer to
// participants by phone.
var importOrder = []importer.Kind{importer.Participants, importer.Savings, importer.Visits, importer.Transfers}

// The synthetic program draws its words from the demo data's world, with
// the demo's own long places: the lengths of stored values decide how
// Redis encodes a participant's hash, so they must be realistic.
var (
	firstNames = []string{"Rosa", "Juana", "Ynes", "María", "Lucía", "Yolanda", "Teodora", "Felicitas", "Nélida", "Sabina", "Agripina", "Elena"}
	surnames   = []string{"Quispe", "Mamani", "Huamán", "Condori", "Ccora", "Sanancino", "Rojas", "Ccori", "Huaynacari", "Choque", "Apaza", "Layme", "Pari"}
	languages  = []string{"es", "qu", "shp", "quz"}
	places     = []struct{ code, community, district, region string }{
		{"HVCA", "Santa Rosa de Pachaclla", "Yauli", "Huancavelica"},
		{"HVCA", "Ccasapata", "Yauli", "Huancavelica"},
		{"UCAY", "San Francisco de Yarinacocha", "Yarinacocha", "Ucayali"},
		{"CUSC", "Pampallacta", "Calca", "Cusco"},
		{"APUR", "Huancabamba", "Andarapa", "Apurímac"},
		{"AYAC", "Quispillaccta", "Chuschi", "Ayacucho"},
	}
	visitPlaces = []string{"Su casa", "Local comunal", "Biohuerto de la familia", "Wasiykipi", "Mia xobon"}
	topics      = []string{"Biohuerto familiar", "Cocina mejorada", "Cuyes", "Piscigranja", "Agua segura", "Ahorro"}
	payPlaces   = []string{"Agencia Banco de la Nación Yauli", "Agente Multired Calca", "Carrito pagador, plaza de San Francisco", "Núcleo Ejecutor Yauli"}
)

// participantPhone is the i-th synthetic participant: 9-digit mobiles
// starting with 9, unique for i below 10^8.
func participantPhone(i int) string { return fmt.Sprintf("+519%08d", i) }

func groupOf(i int) string {
	g := i / GroupSize
	return fmt.Sprintf("HW-%s-%05d", places[g%len(places)].code, g)
}

// writeFiles writes the four files for n participants into dir, dated
// around today, and returns their paths by kind. Rows are streamed, so
// memory does not grow with n.
func writeFiles(dir string, n int, today time.Time) (map[importer.Kind]string, error) {
	rows := map[importer.Kind]func(int) [][]string{
		importer.Participants: participantRows,
		importer.Savings:      func(i int) [][]string { return savingsRows(i, today) },
		importer.Visits:       func(i int) [][]string { return visitRows(i, today) },
		importer.Transfers:    func(i int) [][]string { return transferRows(i, today) },
	}
	paths := map[importer.Kind]string{}
	for _, kind := range importOrder {
		paths[kind] = filepath.Join(dir, string(kind)+".csv")
		if err := writeCSV(paths[kind], importer.Headers[kind], n, rows[kind]); err != nil {
			return nil, err
		}
	}
	return paths, nil
}

func writeCSV(path string, header []string, n int, rows func(int) [][]string) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	bw := bufio.NewWriterSize(f, 1<<20)
	w := csv.NewWriter(bw)
	_ = w.Write(header)
	for i := range n {
		_ = w.WriteAll(rows(i)) // errors stick in w and surface below
	}
	w.Flush()
	err = w.Error()
	if err == nil {
		err = bw.Flush()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("writing %s: %w", path, err)
	}
	return nil
}

func participantRows(i int) [][]string {
	g := i / GroupSize
	p := places[g%len(places)]
	name := firstNames[i%len(firstNames)] + " " + surnames[(i/7)%len(surnames)] + " " + surnames[(i/3)%len(surnames)]
	coach := fmt.Sprintf("+5198%07d", g/5) // a coach leads five groups
	return [][]string{{participantPhone(i), name, languages[i%len(languages)], p.community, p.district, p.region, groupOf(i), coach}}
}

func savingsRows(i int, today time.Time) [][]string {
	balance := fmt.Sprintf("%d.%02d", (i*37)%2500, i%100)
	return [][]string{{participantPhone(i), balance, day(today, -(i % 28))}}
}

// visitRows are two home visits in the coming weeks, on different days so
// the importer sees two events.
func visitRows(i int, today time.Time) [][]string {
	ph, d := participantPhone(i), 1+i%14
	return [][]string{
		{ph, "", "visit", day(today, d) + " 09:00", visitPlaces[i%len(visitPlaces)], topics[i%len(topics)]},
		{ph, "", "visit", day(today, d+14) + " 14:30", visitPlaces[(i+1)%len(visitPlaces)], topics[(i+1)%len(topics)]},
	}
}

// transferRows are the next Juntos and Haku Wiñay payments.
func transferRows(i int, today time.Time) [][]string {
	ph, d := participantPhone(i), 3+i%25
	return [][]string{
		{ph, "", "juntos", day(today, d), "200.00", payPlaces[i%len(payPlaces)]},
		{ph, "", "haku_winay", day(today, d+7), strconv.Itoa(300+i%4*50) + ".00", payPlaces[(i/4)%len(payPlaces)]},
	}
}

func day(today time.Time, offset int) string { return today.AddDate(0, 0, offset).Format("2006-01-02") }

package refstt

import (
	"encoding/json"
	"math"
	"strings"
	"time"

	"github.com/sttbench/sttbench/internal/voice"
	"github.com/sttbench/sttbench/ttspool"
)

// chunk is one utterance waiting for recognition.
type chunk struct {
	sess   *session
	pcm    []int16
	start  int64     // stream index of pcm[0]
	queued time.Time // when it was cut
}

// submit queues c for the worker. With an unbounded queue it never blocks,
// so a slow worker delays results but never the reading of audio; with
// QueueSize set it waits for room, holding up the session's reader. A
// session that ends meanwhile loses the utterance (counted undelivered).
func (s *Server) submit(c chunk) {
	if s.slots != nil {
		select {
		case s.slots <- struct{}{}:
		default:
			s.stats.queueFull.Add(1)
			select {
			case s.slots <- struct{}{}:
			case <-c.sess.ctx.Done():
				s.stats.undelivered.Add(1)
				return
			}
		}
	}
	s.qMu.Lock()
	s.queue = append(s.queue, c)
	s.qMu.Unlock()
	select {
	case s.qSig <- struct{}{}:
	default:
	}
}

// work is the one worker shared by all sessions, as a GPU model server runs
// one model: it takes batches, holds each for the modelled time, recognizes
// its utterances and delivers the results.
func (s *Server) work() {
	defer close(s.done)
	for {
		batch, ok := s.nextBatch()
		if !ok {
			return
		}
		start := time.Now()
		var samples int
		for _, c := range batch {
			samples += len(c.pcm)
		}
		words := make([][]voice.Word, len(batch))
		for i, c := range batch {
			words[i] = voice.Recognize(c.pcm, ttspool.SampleRate)
		}
		// The recognition time is part of the modelled time, not added to it.
		wait := time.NewTimer(time.Until(start.Add(s.cfg.BatchLatency(time.Duration(samples) * time.Second / ttspool.SampleRate))))
		select {
		case <-s.ctx.Done():
			wait.Stop()
			return
		case <-wait.C:
		}
		s.stats.batches.Add(1)
		for i, c := range batch {
			s.deliver(c, words[i])
		}
	}
}

// nextBatch waits until MaxBatch utterances are queued or BatchWindow has
// passed since the oldest one arrived, and takes up to MaxBatch of them. It
// reports false when the server closes.
func (s *Server) nextBatch() ([]chunk, bool) {
	for {
		s.qMu.Lock()
		n := len(s.queue)
		var due time.Duration
		if n > 0 {
			due = time.Until(s.queue[0].queued.Add(s.cfg.BatchWindow))
		}
		if n >= s.cfg.MaxBatch || (n > 0 && due <= 0) {
			k := min(n, s.cfg.MaxBatch)
			batch := s.queue[:k:k]
			s.queue = append([]chunk(nil), s.queue[k:]...)
			s.qMu.Unlock()
			if s.slots != nil {
				for range k {
					<-s.slots
				}
			}
			return batch, true
		}
		s.qMu.Unlock()

		var timeout <-chan time.Time
		var t *time.Timer
		if n > 0 {
			t = time.NewTimer(due)
			timeout = t.C
		}
		select {
		case <-s.ctx.Done():
			return nil, false
		case <-s.qSig:
		case <-timeout:
		}
		if t != nil {
			t.Stop()
		}
	}
}

// deliver applies the faults to one recognized utterance and hands its
// result to the writer of the session it goes to.
func (s *Server) deliver(c chunk, words []voice.Word) {
	src := c.sess
	words = src.substitute(words)
	if src.drop.next() {
		s.stats.dropped.Add(1)
		return
	}
	dst := src
	if src.leak.rate > 0 {
		// Only results that have somewhere else to go count towards the rate.
		if other := s.otherSession(src); other != nil && src.leak.next() {
			dst = other
			s.stats.leaked.Add(1)
		}
	}
	res := newResult(words, float64(c.start)/ttspool.SampleRate)
	data, err := json.Marshal(res)
	if err != nil { // cannot happen: the message holds only strings and finite numbers
		data = []byte(`{"text":""}`)
	}
	bad := src.malformed.next()
	if bad {
		// Any proper prefix of a JSON object is invalid JSON.
		data = data[:len(data)/2]
		s.stats.malformed.Add(1)
	}
	dst.enqueue(outMsg{data: data, result: true, text: res.Text, origin: src.id, bad: bad})
}

// result is the message Parakeet sends for one utterance.
type result struct {
	Text       string       `json:"text"`
	Confidence float64      `json:"confidence"`
	Words      []resultWord `json:"words"`
}

type resultWord struct {
	Word       string  `json:"word"`
	Start      float64 `json:"start"` // seconds from the start of the stream
	End        float64 `json:"end"`
	Confidence float64 `json:"confidence"`
}

// newResult formats recognized words as Parakeet does: a capitalised
// sentence with a final period, and word timestamps in seconds from the
// start of the stream (offset is the utterance's start). No words give an
// empty text, as Parakeet returns for noise.
func newResult(words []voice.Word, offset float64) result {
	res := result{Words: make([]resultWord, len(words))}
	texts := make([]string, len(words))
	var conf float64
	for i, w := range words {
		text := w.Text
		if i == 0 {
			text = strings.ToUpper(text[:1]) + text[1:]
		}
		texts[i] = text
		res.Words[i] = resultWord{
			Word:       text,
			Start:      round(offset+w.Start, 1000),
			End:        round(offset+w.End, 1000),
			Confidence: round(w.Confidence, 100),
		}
		conf += w.Confidence
	}
	if len(words) > 0 {
		res.Text = strings.Join(texts, " ") + "."
		res.Confidence = round(conf/float64(len(words)), 100)
	}
	return res
}

func round(x, unit float64) float64 { return math.Round(x*unit) / unit }

// substitutes are the real words WordErrorRate puts in place of others.
var substitutes = []string{"zebra", "blue", "river", "candle", "orange", "window", "pepper", "violet", "marble", "thunder", "garden", "silver"}

// substitute replaces the words the session's WordErrorRate accumulator
// picks with a different real word. Called only by the worker.
func (s *session) substitute(words []voice.Word) []voice.Word {
	if s.wer.rate == 0 {
		return words
	}
	out := make([]voice.Word, len(words))
	for i, w := range words {
		if s.wer.next() {
			k := s.rng.IntN(len(substitutes))
			if substitutes[k] == w.Text {
				k = (k + 1) % len(substitutes)
			}
			w.Text = substitutes[k]
			w.Confidence = 0.5 // a model is rarely sure of its mistakes
		}
		out[i] = w
	}
	return out
}

package ttspool

import (
	"errors"
	"fmt"
	"math"
	"slices"
	"time"
)

// Voice activity by energy, relative to the clip's own level.
//
// Why these numbers: TTS clips vary in loudness by 20 dB or more between
// services and voices, so any absolute threshold is wrong for some of them.
// The loud-frame level (95th percentile of 10 ms frame RMS) tracks the vowels
// while ignoring a single click. Soft word endings (fricatives like the final
// s, breathy releases) sit 25 to 35 dB below the vowels, and neural TTS noise
// floors sit 50 dB or more below them, so a threshold 40 dB down keeps the
// endings as speech and the noise as silence. Missing a soft ending would move
// the end-of-speech mark early and inflate every EOS latency measured against
// it; that is the error this choice avoids first.
const (
	// TrailingSilence is the silence kept after the last voiced sample:
	// enough for an STT service's endpointer to see a natural pause, not so
	// much that clips waste stream time.
	TrailingSilence = 300 * time.Millisecond

	vadFrame = SampleRate / 100 // 10 ms frames, in samples
	// vadPercentile picks the loud-frame level among non-silent frames.
	vadPercentile = 0.95
	// vadRelDB is how far below the loud-frame level a frame or sample still
	// counts as voiced, in dB.
	vadRelDB = 40.0
	// vadFloorDBFS is the absolute floor in dB relative to full scale:
	// frames below it never count as voiced, and a clip with no frame above
	// it is silent. -60 dBFS is below any usable speech recording yet above
	// dither and the noise of a digital zero.
	vadFloorDBFS = -60.0
)

// ErrSilent is wrapped by Trim's error for audio with no voiced sample.
var ErrSilent = errors.New("no speech: audio is silent")

// Trim cuts the leading silence of pcm (16 kHz mono) up to the first voiced
// sample and the trailing silence to at most TrailingSilence after the last
// voiced sample. speechEnd is the offset, within the trimmed audio, of the
// end of the last voiced sample. The result shares pcm's backing array.
//
// A 10 ms frame is voiced when its RMS is within 40 dB of the clip's
// loud-frame level (and above -60 dBFS); within the first and last voiced
// frames, the voiced sample is the first and last whose magnitude reaches that
// same threshold. The comment above TrailingSilence says why.
// Audio with no voiced frame is an error wrapping ErrSilent.
// Trim keeps no state and is safe for concurrent use.
func Trim(pcm []int16) (trimmed []int16, speechEnd time.Duration, err error) {
	first, last, ok := voicedBounds(pcm)
	if !ok {
		return nil, 0, fmt.Errorf("trim %d samples: %w", len(pcm), ErrSilent)
	}
	end := min(len(pcm), last+1+int(TrailingSilence*SampleRate/time.Second))
	trimmed = pcm[first:end]
	speechEnd = samplesToDuration(last + 1 - first)
	return trimmed, speechEnd, nil
}

// voicedBounds returns the indices of the first and last voiced samples.
func voicedBounds(pcm []int16) (first, last int, ok bool) {
	nFrames := (len(pcm) + vadFrame - 1) / vadFrame
	if nFrames == 0 {
		return 0, 0, false
	}
	floor := (1 << 15) * math.Pow(10, vadFloorDBFS/20)
	rms := make([]float64, nFrames)
	var loud []float64
	for f := range rms {
		seg := pcm[f*vadFrame : min(len(pcm), (f+1)*vadFrame)]
		var e float64
		for _, s := range seg {
			e += float64(s) * float64(s)
		}
		rms[f] = math.Sqrt(e / float64(len(seg)))
		if rms[f] >= floor {
			loud = append(loud, rms[f])
		}
	}
	if len(loud) == 0 {
		return 0, 0, false
	}
	// Percentile over non-silent frames only, so a short utterance padded
	// with long silence still gets the level of its speech.
	slices.Sort(loud)
	level := loud[int(math.Ceil(vadPercentile*float64(len(loud))))-1]
	thr := max(floor, level*math.Pow(10, -vadRelDB/20))

	firstF, lastF := -1, -1
	for f, r := range rms {
		if r >= thr {
			if firstF < 0 {
				firstF = f
			}
			lastF = f
		}
	}
	if firstF < 0 {
		return 0, 0, false
	}
	// A frame whose RMS reaches thr has at least one sample that does.
	first = firstF * vadFrame
	for i := first; i < min(len(pcm), (firstF+1)*vadFrame); i++ {
		if math.Abs(float64(pcm[i])) >= thr {
			first = i
			break
		}
	}
	last = min(len(pcm), (lastF+1)*vadFrame) - 1
	for i := last; i >= lastF*vadFrame; i-- {
		if math.Abs(float64(pcm[i])) >= thr {
			last = i
			break
		}
	}
	return first, last, true
}

func samplesToDuration(n int) time.Duration {
	return time.Duration(n) * time.Second / SampleRate
}

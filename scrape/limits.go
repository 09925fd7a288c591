package scrape

import "context"

// Semaphore bounds requests in flight. A nil *Semaphore never blocks.
type Semaphore struct {
	slots chan struct{}
	// queued, when set, is called by each Acquire that finds no free slot,
	// before it waits: tests learn that a request queues without guessing
	// how long that takes.
	queued func()
}

// NewSemaphore allows n holders at once.
func NewSemaphore(n int) *Semaphore { return &Semaphore{slots: make(chan struct{}, n)} }

// Acquire waits for a slot or for ctx to end.
func (s *Semaphore) Acquire(ctx context.Context) error {
	if s == nil {
		return nil
	}
	select {
	case s.slots <- struct{}{}:
		return nil
	default:
	}
	if s.queued != nil {
		s.queued()
	}
	select {
	case s.slots <- struct{}{}:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// Release frees a slot taken by Acquire.
func (s *Semaphore) Release() {
	if s != nil {
		<-s.slots
	}
}

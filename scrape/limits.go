package scrape

import "context"

// Semaphore bounds requests in flight. A nil *Semaphore never blocks.
type Semaphore struct{ slots chan struct{} }

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

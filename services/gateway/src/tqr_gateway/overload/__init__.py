"""Graceful overload at the peak (R-PEAK-1): the gateway bounds the work it lets in, lets work
already under way go first, and gives new visitors a fair first-come waiting room.

- ``priority``: what a request is worth when there is not room for everyone (a submission, then a
  wizard step or anything else a signed-in applicant does, then a sign-in, then a new visitor;
  staff and the probes are never held back).
- ``limiter``: the concurrency limit of one gateway process, with waiters served by priority.
- ``waiting_room``: the first-come queue of new visitors, held in Redis so that every gateway
  replica serves the same queue, and the pass that lets an admitted visitor stay in.
- ``middleware``: the pure-ASGI layer, outermost but one, that puts the three together; ``early``
  how it tells who is asking before anything else runs, and its own answers (the waiting page, 503).

Why a configured limit and not an adaptive one (TCP Vegas, gradient): the gateway does little work
of its own; its latency is the services' and PostgreSQL's, which every gateway replica shares. A
latency-gradient limiter in each replica reads that shared queue independently (each backs off,
each probes upwards again, and together they oscillate), and it reads a change in the mix of
requests (a burst of form downloads, which take longer than a step save) as congestion and cuts
the limit although nothing is congested. The capacity of a deployment is measured (``make bench``,
deploy/CAPACITY.md sizes the cluster from it), so the limit follows from Little's law: requests in
flight = throughput × the latency one is willing to give; divided by the replicas. A configured
number is predictable, testable without timing, and one an operator can reason about during a peak;
it only needs to be about right, because what is above it waits in order instead of failing. Its
cost: it is set again when the capacity changes (the benchmark gives the figure).
"""

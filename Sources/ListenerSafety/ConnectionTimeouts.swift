/// What one HTTP/1 connection is waiting for and how long it may wait: the timing rules of
/// ``RequestTimeoutHandler`` as a value, so they are tested without sockets or clocks.
///
/// - Waiting for the first request head: ``ListenerLimits/headerTimeout``, then 408.
/// - Reading a request body: ``ListenerLimits/bodyTimeout`` between parts, then 408 unless an
///   answer has started (then just close).
/// - The request read, the answer being produced: no limit (a direct method or an event stream
///   may take long; the handlers bound their own work).
/// - Answer sent, waiting for the next request: ``ListenerLimits/idleTimeout``, then close.
package struct ConnectionTimeouts: Sendable, Equatable {
    /// What to do with the timer after an event.
    package enum Timer: Sendable, Equatable {
        /// (Re)arm it to fire after this long.
        case arm(Duration)
        /// Stop it: nothing to time now.
        case cancel
        /// Leave it as it is.
        case keep
    }

    /// What to do when the timer fires.
    package enum Expiry: Sendable, Equatable {
        /// Answer 408 Request Timeout, then close.
        case requestTimeout
        /// Close without a word (an idle keep-alive connection, or an answer already under way).
        case close
        /// Nothing: the timer was stale.
        case ignore
    }

    private let limits: ListenerLimits
    /// Requests whose head arrived and whose answer has not ended.
    private var open = 0
    /// A request body is being read.
    private var readingBody = false
    /// The answer to the request being read has started.
    private var answering = false
    /// At least one request was served on this connection (the next wait is idle time).
    private var served = false

    package init(limits: ListenerLimits) {
        self.limits = limits
    }

    /// The connection was accepted.
    package mutating func connected() -> Timer {
        .arm(limits.headerTimeout)
    }

    /// A request head is complete.
    package mutating func headReceived() -> Timer {
        open += 1
        readingBody = true
        answering = false
        return .arm(limits.bodyTimeout)
    }

    /// A part of the body arrived.
    package mutating func bodyReceived() -> Timer {
        readingBody ? .arm(limits.bodyTimeout) : .keep
    }

    /// The request is complete: the application is working on it.
    package mutating func endReceived() -> Timer {
        readingBody = false
        return .cancel
    }

    /// The answer's head went out.
    package mutating func answerStarted() -> Timer {
        answering = true
        return .keep
    }

    /// An answer ended.
    package mutating func answerEnded() -> Timer {
        open = max(0, open - 1)
        served = true
        guard open == 0, !readingBody else { return readingBody ? .arm(limits.bodyTimeout) : .keep }
        return .arm(limits.idleTimeout)
    }

    /// The timer fired.
    package func expired() -> Expiry {
        if readingBody { return answering ? .close : .requestTimeout }
        if open > 0 { return .ignore }
        return served ? .close : .requestTimeout
    }
}

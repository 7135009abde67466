/// Whether a task that threw runs again, and after how long: the one place that decides it.
///
/// `Retry` thrown from the task body, or an error its `autoretryFor` matchers match, asks for
/// a retry; the task's `RetryPolicy` allows it while `max_retries` is not reached (else the
/// task fails with Celery's `MaxRetriesExceededError`, its cause attached) and gives the delay
/// unless the `Retry` names a countdown. Anything else is a failure. The worker carries the
/// decision out (RETRY stored, the next attempt scheduled), as Celery's `Task.retry` does.
package enum RetryDecision {
    /// The outcome for `error` thrown by attempt `retries + 1` of task `name`[`id`]; `module`
    /// names the app in the exception info.
    package static func outcome(after error: any Error, options: TaskOptions, name: String, id: String,
                                retries: Int, module: String) -> JobOutcome {
        let policy = RetryPolicy(options)
        let retry = error as? Retry
        let wantsRetry = retry != nil || options.autoretryFor.contains { $0.matches(error) }
        guard wantsRetry else {
            return failure(ErrorDescription.exception(of: error, module: module), name: name)
        }
        let cause: (any Error)? = retry.map { $0.reason } ?? error
        let causeInfo = cause.map { ErrorDescription.exception(of: $0, module: module) }
        guard policy.allowsRetry(after: retries) else {
            let detail = "Can't retry \(name)[\(id)]: maximum retries (\(policy.maxRetries ?? 0)) exceeded"
                + (causeInfo.map { ": \($0)" } ?? "")
            var info = ExceptionInfo(type: "MaxRetriesExceededError", message: detail, module: "celery.exceptions")
            if let causeInfo { info.arguments.append(causeInfo.json) }
            return failure(info, name: name)
        }
        let countdown = retry?.countdown?.seconds ?? policy.delay(afterRetries: retries)
        let info = causeInfo ?? ExceptionInfo(type: "Retry", message: "Retry in \(countdown)s", module: "celery.exceptions")
        return .retry(countdown: countdown, exception: info, traceback: ErrorDescription.traceback(info, taskName: name))
    }

    /// A failure outcome with its traceback text.
    package static func failure(_ info: ExceptionInfo, name: String) -> JobOutcome {
        .failure(exception: info, traceback: ErrorDescription.traceback(info, taskName: name))
    }
}

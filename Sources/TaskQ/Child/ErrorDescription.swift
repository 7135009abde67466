/// How a Swift error is described to Celery readers: an exception record and a traceback text.
package enum ErrorDescription {
    /// The exception record of a thrown Swift error (`exc_module` is the app's name).
    package static func exception(of error: any Error, module: String) -> ExceptionInfo {
        if let raised = error as? RaisedException { return raised.info }
        if let failure = error as? TaskFailure { return failure.exception }
        if let mismatch = error as? ArgumentMismatch {
            return ExceptionInfo(type: "TypeError", message: mismatch.message, module: "builtins")
        }
        let type = String(describing: Swift.type(of: error))
        let message = String(describing: error)
        return ExceptionInfo(type: type, message: message == type ? "" : message, module: module)
    }

    /// A Python-style traceback. Swift errors carry no stack, so it names the task and the error.
    package static func traceback(_ info: ExceptionInfo, taskName: String) -> String {
        "Traceback (most recent call last):\n  File \"<swift>\", line 0, in \(taskName)\n\(info.module).\(info)\n"
    }
}

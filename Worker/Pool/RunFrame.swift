import TaskQ

/// The `run` frame that hands a job to a child, written straight to bytes.
///
/// `{"type":"run","job":7,"id":…,"task":…,"args":[…],"kwargs":{…},"retries":0,
/// "root_id":…,"parent_id":…,"soft_time_limit":…}`: one is written per task, so it
/// skips building a dictionary only to serialise it.
enum RunFrame {
    /// The encoded frame (length prefix included) for job `number` running `message`.
    static func encode(job number: Int, message: TaskMessage, softTimeLimit: Double?) -> [UInt8] {
        Frame.encode { out in
            out.append(contentsOf: #"{"type":"run","job":"#.utf8)
            out.append(contentsOf: String(number).utf8)
            out.append(contentsOf: #","id":"#.utf8)
            JSONValue.string(message.id).write(to: &out)
            out.append(contentsOf: #","task":"#.utf8)
            JSONValue.string(message.name).write(to: &out)
            out.append(contentsOf: #","args":"#.utf8)
            JSONValue.array(message.args).write(to: &out)
            out.append(contentsOf: #","kwargs":"#.utf8)
            JSONValue.object(message.kwargs).write(to: &out)
            out.append(contentsOf: #","retries":"#.utf8)
            out.append(contentsOf: String(message.retries).utf8)
            out.append(contentsOf: #","root_id":"#.utf8)
            (message.rootID.map(JSONValue.string) ?? .null).write(to: &out)
            out.append(contentsOf: #","parent_id":"#.utf8)
            (message.parentID.map(JSONValue.string) ?? .null).write(to: &out)
            out.append(contentsOf: #","soft_time_limit":"#.utf8)
            (softTimeLimit.map(JSONValue.double) ?? .null).write(to: &out)
            out.append(UInt8(ascii: "}"))
        }
    }
}

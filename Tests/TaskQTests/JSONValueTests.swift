import Foundation
import Testing
@testable import TaskQ

@Suite("JSON values")
struct JSONValueTests {
    @Test("parses and re-serializes nested documents")
    func roundTrip() throws {
        let text = #"{"a": [1, -2.5, true, false, null, "x\"y\\z\n"], "b": {"c": 1e3, "d": "\u00e9\ud83d\ude00"}}"#
        let value = try JSONValue.parse(text)
        #expect(value["a"]?[0] == 1)
        #expect(value["a"]?[1] == .double(-2.5))
        #expect(value["a"]?[5] == "x\"y\\z\n")
        #expect(value["b"]?["c"] == .double(1000))
        #expect(value["b"]?["d"] == "é😀")
        #expect(try JSONValue.parse(value.serialized()) == value)
    }

    @Test("rejects malformed text with the offset")
    func rejects() {
        for bad in ["", "{", "[1,]", "{\"a\" 1}", "tru", "\"open", "1 2"] {
            #expect(throws: JSONParseError.self) { try JSONValue.parse(bad) }
        }
    }

    @Test("converts Codable values both ways")
    func codable() throws {
        struct Point: Codable, Equatable { let x: Int; let label: String }
        let value = try JSONValue(encoding: Point(x: 3, label: "p"))
        #expect(value == ["x": 3, "label": "p"])
        #expect(try value.decode(as: Point.self) == Point(x: 3, label: "p"))
    }

    @Test("renders Python reprs for argsrepr and events")
    func pythonRepr() {
        #expect(PythonRepr.tuple([2, 3]) == "(2, 3)")
        #expect(PythonRepr.tuple([1]) == "(1,)")
        #expect(PythonRepr.tuple([]) == "()")
        #expect(PythonRepr.dict(["x": 1, "y": "a"]) == "{'x': 1, 'y': 'a'}")
        #expect(PythonRepr.of([true, nil, 1.5]) == "[True, None, 1.5]")
        #expect(PythonRepr.of("it's") == "\"it's\"")
        #expect(ExceptionInfo(type: "MyError", arguments: ["bad input", 42], module: "tasks").pythonRepr == "MyError('bad input', 42)")
    }
}

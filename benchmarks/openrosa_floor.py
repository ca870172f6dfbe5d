"""The floor under `benchmarks.openrosa`: the same HTTP exchange with no work behind it.

A Flask app that answers Collect's HEAD with 204 and reads each POST's
`xml_submission_file` part before answering 201 with an OpenRosaResponse, and nothing else:
no authentication, no parsing, no store. Served by the same gunicorn command and driven by
the same client as the real server, in the same run, it measures what the stack itself (the
client, loopback TCP, gunicorn, Flask and werkzeug's multipart parser) costs on this machine,
so the real rate can be read against what no code of ours could exceed.
"""

from flask import Flask, Response, request

app = Flask(__name__)

ANSWER = (
    b'<OpenRosaResponse xmlns="http://openrosa.org/http/response">'
    b'<message nature="">Submission received.</message></OpenRosaResponse>'
)


@app.route("/openrosa/key/<token>/submission", methods=["HEAD", "GET"])
def probe(token):
    response = Response(status=204)
    response.headers["X-OpenRosa-Version"] = "1.0"
    response.headers["X-OpenRosa-Accept-Content-Length"] = "10485760"
    return response


@app.post("/openrosa/key/<token>/submission")
def submission(token):
    part = request.files.get("xml_submission_file")
    if part is None or not part.read():
        return Response(status=400)
    response = Response(ANSWER, status=201, content_type="text/xml; charset=utf-8")
    response.headers["X-OpenRosa-Version"] = "1.0"
    return response

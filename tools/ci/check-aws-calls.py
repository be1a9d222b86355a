"""Checks AWS API calls against AWS's own service models, as botocore ships them.

Reads a JSON list of {"service", "operation", "params"} on stdin (params as the AWS SDK for
JavaScript sends them, whose member names are the models'); prints a JSON list of
{"index", "call", "problems"} for the calls the model refuses: an unknown operation or member, a
missing required member, a wrong type, a value out of its length or range.
"""
import json
import sys

import botocore.session
from botocore.exceptions import ParamValidationError
from botocore.validate import ParamValidator

session = botocore.session.get_session()
validator = ParamValidator()
models = {}
refused = []
for index, call in enumerate(json.load(sys.stdin)):
    name = f"{call['service']}:{call['operation']}"
    model = models.setdefault(call["service"], session.get_service_model(call["service"]))
    if call["operation"] not in model.operation_names:
        refused.append({"index": index, "call": name, "problems": [f"{model.service_name} has no operation {call['operation']}"]})
        continue
    report = validator.validate(call["params"], model.operation_model(call["operation"]).input_shape)
    if report.has_errors():
        problems = str(ParamValidationError(report=report.generate_report())).split("\n")[1:]
        refused.append({"index": index, "call": name, "problems": [p.strip() for p in problems if p.strip()]})
json.dump(refused, sys.stdout)

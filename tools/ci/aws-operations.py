"""Prints the API operations of AWS services, from AWS's own service models as botocore ships them.

Reads a JSON list of botocore service names on stdin (`greengrassv2`, `logs`); prints a JSON object
of each service's operation names, for checking IAM action names against the operations they name.
"""
import json
import sys

import botocore.session

session = botocore.session.get_session()
json.dump({service: sorted(session.get_service_model(service).operation_names) for service in json.load(sys.stdin)}, sys.stdout)

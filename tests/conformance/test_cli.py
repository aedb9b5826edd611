"""The AWS CLI works unchanged against the server: create-table, put-item, get-item, query, scan,
delete-table through `aws dynamodb --endpoint-url`, using the CLI installed in the test venv.
"""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from support import ACCESS_KEY, REGION, SECRET_KEY, unique_name


def aws_executable() -> str:
    candidate = Path(sys.executable).parent / "aws"
    if not candidate.exists():
        pytest.fail(f"the AWS CLI is not installed next to {sys.executable}; install requirements.txt")
    return str(candidate)


@pytest.fixture(scope="module")
def aws(endpoint, tmp_path_factory):
    home = tmp_path_factory.mktemp("aws-home")
    env = {
        "PATH": os.environ.get("PATH", ""),
        "HOME": str(home),
        "AWS_ACCESS_KEY_ID": ACCESS_KEY,
        "AWS_SECRET_ACCESS_KEY": SECRET_KEY,
        "AWS_DEFAULT_REGION": REGION,
        "AWS_CONFIG_FILE": str(home / "config"),
        "AWS_SHARED_CREDENTIALS_FILE": str(home / "credentials"),
        "AWS_MAX_ATTEMPTS": "1",
        "AWS_PAGER": "",
    }

    def run(*args, check=True):
        result = subprocess.run(
            [aws_executable(), "dynamodb", *args, "--endpoint-url", endpoint, "--output", "json"],
            env=env,
            capture_output=True,
            text=True,
            timeout=60,
        )
        if check:
            assert result.returncode == 0, result.stderr
            return json.loads(result.stdout) if result.stdout.strip() else {}
        return result

    return run


def test_cli_table_and_item_lifecycle(aws):
    table = unique_name("cli")
    created = aws(
        "create-table",
        "--table-name",
        table,
        "--attribute-definitions",
        "AttributeName=pk,AttributeType=S",
        "AttributeName=sk,AttributeType=N",
        "--key-schema",
        "AttributeName=pk,KeyType=HASH",
        "AttributeName=sk,KeyType=RANGE",
        "--billing-mode",
        "PAY_PER_REQUEST",
    )
    try:
        assert created["TableDescription"]["TableName"] == table
        aws("wait", "table-exists", "--table-name", table)
        assert table in aws("list-tables")["TableNames"]
        for sk in (3, 1, 2):
            aws(
                "put-item",
                "--table-name",
                table,
                "--item",
                json.dumps({"pk": {"S": "user"}, "sk": {"N": str(sk)}, "name": {"S": f"n{sk}"}}),
            )
        got = aws(
            "get-item",
            "--table-name",
            table,
            "--key",
            json.dumps({"pk": {"S": "user"}, "sk": {"N": "2"}}),
            "--consistent-read",
        )
        assert got["Item"]["name"] == {"S": "n2"}
        queried = aws(
            "query",
            "--table-name",
            table,
            "--key-condition-expression",
            "pk = :p AND sk >= :two",
            "--expression-attribute-values",
            json.dumps({":p": {"S": "user"}, ":two": {"N": "2"}}),
        )
        assert [i["sk"]["N"] for i in queried["Items"]] == ["2", "3"]
        # The CLI paginates Scan by itself with --page-size; it must see every item once.
        scanned = aws("scan", "--table-name", table, "--page-size", "1")
        assert sorted(i["sk"]["N"] for i in scanned["Items"]) == ["1", "2", "3"]
        assert scanned["Count"] == 3
    finally:
        deleted = aws("delete-table", "--table-name", table)
        assert deleted["TableDescription"]["TableName"] == table
    aws("wait", "table-not-exists", "--table-name", table)


def test_cli_reports_errors(aws):
    result = aws("describe-table", "--table-name", unique_name("missing"), check=False)
    assert result.returncode != 0
    assert "ResourceNotFoundException" in result.stderr


def test_cli_conditional_put(aws, hash_table):
    item = json.dumps({"pk": {"S": unique_name("cli-item")}})
    aws(
        "put-item",
        "--table-name",
        hash_table,
        "--item",
        item,
        "--condition-expression",
        "attribute_not_exists(pk)",
    )
    result = aws(
        "put-item",
        "--table-name",
        hash_table,
        "--item",
        item,
        "--condition-expression",
        "attribute_not_exists(pk)",
        check=False,
    )
    assert result.returncode != 0
    assert "ConditionalCheckFailedException" in result.stderr

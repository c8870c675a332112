"""The official MCP Python SDK (v2 client, over httpx2) against Latchkey's /mcp.

Run by the Rust integration test `mcp::python_*` with a running server:

    mcp_check.py reseller       # RESELLER_TOKEN, CUSTOMER_ID, OUTSIDE_ID
    mcp_check.py company-admin  # ADMIN_TOKEN, RESELLER_TOKEN, CUSTOMER_ID, RESELLER_ID

BASE_URL is the server. Every check is an assert; the exit status says whether all held. The
reseller scenario prints one JSON line with what it created, for the Rust side to look up
over REST.
"""

import json
import os
import sys

import anyio
import httpx2
from mcp import Client
from mcp.client.streamable_http import streamable_http_client
from mcp.shared.exceptions import MCPError

BASE_URL = os.environ["BASE_URL"]
MCP_URL = f"{BASE_URL}/mcp"


class Session:
    """An MCP client session with a bearer token, recording the HTTP statuses it saw."""

    def __init__(self, token):
        self.statuses = []
        headers = {"Authorization": f"Bearer {token}"} if token is not None else {}

        async def record(response):
            self.statuses.append(response.status_code)

        self.http = httpx2.AsyncClient(
            headers=headers,
            timeout=httpx2.Timeout(30.0),
            event_hooks={"response": [record]},
        )

    async def __aenter__(self):
        await self.http.__aenter__()
        self.client = Client(streamable_http_client(MCP_URL, http_client=self.http))
        return await self.client.__aenter__()

    async def __aexit__(self, *exc):
        await self.client.__aexit__(*exc)
        await self.http.__aexit__(*exc)


async def tool_names(token):
    async with Session(token) as client:
        return {t.name for t in (await client.list_tools()).tools}


def refusal(result, status):
    """Asserts a tool error with the envelope's status; returns its structured content."""
    assert result.is_error, f"expected a tool error, got {result}"
    text = result.content[0].text
    assert text.startswith(f"{status}: "), text
    refused = result.structured_content
    assert refused["status"] == status, refused
    assert refused["message"], refused
    return refused


async def reseller():
    token = os.environ["RESELLER_TOKEN"]
    customer = os.environ["CUSTOMER_ID"]
    outside = os.environ["OUTSIDE_ID"]
    async with Session(token) as client:
        tools = {t.name: t for t in (await client.list_tools()).tools}
        for name in ["post_companies_search", "post_companies", "post_company_groups",
                     "post_target_users", "post_target_users_search", "post_system_users"]:
            assert name in tools, f"{name} is not listed: {sorted(tools)}"
        for name in ["post_companies_search_export", "post_system_users_reset_password"]:
            assert name not in tools, f"{name} is listed"
        search = tools["post_companies_search"]
        assert search.description.startswith("Retrieves a list of all companies"), search
        assert "companyId" in search.input_schema["properties"], search.input_schema
        assert "body" in search.input_schema["required"], search.input_schema
        create = tools["post_target_users"].input_schema
        assert create["properties"]["body"]["$ref"].startswith("#/$defs/"), create

        # List companies: the customer is among them.
        result = await client.call_tool(
            "post_companies_search", {"body": {"pageNumber": 1, "pageSize": 50}})
        assert not result.is_error, result
        ids = [row["resourceId"] for row in result.structured_content["results"]]
        assert customer in ids, ids
        assert json.loads(result.content[0].text) == result.structured_content

        # Create a target user in the customer, named by the company argument.
        result = await client.call_tool("post_target_users", {
            "companyId": customer,
            "body": {"email": "ada@customer.example", "firstName": "Ada",
                     "lastName": "Lovelace", "department": "Engines"},
        })
        assert not result.is_error, result
        created = result.structured_content["resourceId"]

        # A search in the customer finds her, and one in the reseller's own company does not.
        search_body = {"pageNumber": 1, "pageSize": 10,
                       "filter": {"filterGroups": [{"filterItems": [
                           {"fieldName": "Department", "operator": "Contains",
                            "value": "engine"}]}]}}
        result = await client.call_tool(
            "post_target_users_search", {"companyId": customer, "body": search_body})
        assert not result.is_error, result
        rows = result.structured_content["results"]
        assert [r["resourceId"] for r in rows] == [created], rows
        assert rows[0]["email"] == "ada@customer.example", rows
        result = await client.call_tool(
            "get_target_users_resourceId", {"resourceId": created, "companyId": customer})
        assert result.structured_content["firstName"] == "Ada", result

        # Bad input: the envelope's validation messages come back in the tool error.
        result = await client.call_tool(
            "post_target_users", {"companyId": customer, "body": {"email": "not-an-address"}})
        refused = refusal(result, "INPUT_ERROR")
        assert any("not-an-address" in m for m in refused["validationMessages"]), refused
        assert "not-an-address" in result.content[0].text
        result = await client.call_tool("post_target_users_search", {"body": {"pageSize": 0}})
        refused = refusal(result, "INPUT_ERROR")
        assert any("pageSize" in m for m in refused["validationMessages"]), refused
        result = await client.call_tool("get_target_users_resourceId", {"nonsense": 1})
        refused = refusal(result, "INPUT_ERROR")
        assert refused["validationMessages"] == [
            "resourceId is required", "Unknown arguments: nonsense"], refused

        # Another tenant's company: refused, and nothing is created there.
        result = await client.call_tool("post_target_users", {
            "companyId": outside,
            "body": {"email": "eve@outside.example", "firstName": "Eve", "lastName": "X"},
        })
        refused = refusal(result, "FORBIDDEN")
        assert "not managed" in refused["message"], refused
        result = await client.call_tool(
            "post_target_users_search", {"companyId": outside, "body": {}})
        refusal(result, "FORBIDDEN")
        # The customer's user is not reachable as one of the reseller's own.
        result = await client.call_tool("get_target_users_resourceId", {"resourceId": created})
        refusal(result, "NOT_FOUND")

        # A name that is no tool is a protocol error, not a tool error.
        try:
            await client.call_tool("no_such_tool", {})
            raise AssertionError("an unknown tool was called")
        except MCPError as e:
            assert "no_such_tool" in str(e), e

        # Resources and prompts.
        uris = {r.uri for r in (await client.list_resources()).resources}
        assert uris == {"latchkey://docs/openapi.json", "latchkey://docs/api-guide.md"}, uris
        document = json.loads(
            (await client.read_resource("latchkey://docs/openapi.json")).contents[0].text)
        assert "/api/target-users" in document["paths"], list(document["paths"])[:5]
        guide = (await client.read_resource("latchkey://docs/api-guide.md")).contents[0].text
        assert "## AI assistants" in guide and "## The console" not in guide
        prompts = {p.name for p in (await client.list_prompts()).prompts}
        assert prompts == {"list_companies", "onboard_customer", "add_system_user",
                           "list_target_users", "add_target_users", "set_up_scim"}, prompts
        prompt = await client.get_prompt("onboard_customer", {"companyName": "Acme Corp"})
        text = prompt.messages[0].content.text
        assert "Acme Corp" in text and "`post_companies`" in text, text
    print(json.dumps({"created": created, "tools": len(tools)}))


async def company_admin():
    admin = os.environ["ADMIN_TOKEN"]
    customer = os.environ["CUSTOMER_ID"]
    reseller_id = os.environ["RESELLER_ID"]
    mine = await tool_names(admin)
    theirs = await tool_names(os.environ["RESELLER_TOKEN"])
    assert mine < theirs, f"not a smaller list: {sorted(mine - theirs)}"
    for name in ["post_companies_search", "post_companies", "post_company_groups",
                 "delete_companies_resourceId"]:
        assert name not in mine, f"{name} is listed to a Company Admin"
    for name in ["get_companies_my", "post_target_users", "post_target_users_search",
                 "post_companies_clients"]:
        assert name in mine, f"{name} is not listed to a Company Admin"

    async with Session(admin) as client:
        result = await client.call_tool("get_companies_my", {})
        assert [c["resourceId"] for c in result.structured_content] == [customer], result
        # A tool it may not use answers as the API does.
        result = await client.call_tool("post_companies_search", {"body": {}})
        refused = refusal(result, "FORBIDDEN")
        assert "permission" in refused["message"], refused
        # Its reseller's company is not its to act on.
        result = await client.call_tool(
            "post_target_users_search", {"companyId": reseller_id, "body": {}})
        refusal(result, "FORBIDDEN")
        result = await client.call_tool("post_target_users", {
            "body": {"email": "grace@customer.example", "firstName": "Grace",
                     "lastName": "Hopper"}})
        assert not result.is_error, result

    # Without a token, or with a bad one, the endpoint answers 401 before any MCP exchange.
    for token in [None, "not-a-token", admin + "x"]:
        session = Session(token)
        try:
            async with session as client:
                await client.list_tools()
            raise AssertionError(f"listed tools with token {token!r}")
        except AssertionError:
            raise
        except BaseException:
            pass
        assert session.statuses and set(session.statuses) == {401}, session.statuses


def main():
    scenario = {"reseller": reseller, "company-admin": company_admin}[sys.argv[1]]
    anyio.run(scenario)


if __name__ == "__main__":
    main()

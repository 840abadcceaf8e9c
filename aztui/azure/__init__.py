"""aztui's shared Azure client layer: credentials, clients, blob operations, error mapping.

Never imports Textual; imports the Azure SDKs only inside functions, so that
`import aztui.azure` stays cheap and the TUI paints fast.
"""

from aztui.azure.blobs import BlobInfo, BlobStore, ContainerInfo, PrefixInfo
from aztui.azure.clients import blob_service
from aztui.azure.credentials import AuthPlan, credential_for, describe_auth, plan_auth
from aztui.azure.errors import azure_errors, map_azure_error

__all__ = [
    "AuthPlan", "BlobInfo", "BlobStore", "ContainerInfo", "PrefixInfo", "azure_errors", "blob_service",
    "credential_for", "describe_auth", "map_azure_error", "plan_auth",
]

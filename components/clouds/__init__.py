"""Cloud-SDK adapters: the only code that touches oci / ibm_vpc / openstacksdk; never imports pulumi."""

"""IBM Cloud VPC components."""

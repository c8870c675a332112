-- Group By of a SCIM integration: the SCIM attribute path (the enterprise `department`, or a
-- path the integration maps to a custom field) whose value names the target group a
-- provisioned user joins. NULL: users join the integration's group, or none.
ALTER TABLE scim_integrations ADD COLUMN group_by_path TEXT;

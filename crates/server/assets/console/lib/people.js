// What the people pages (target users, groups, custom fields, import) share: the enumerations
// as the API names them, and the company's custom fields.

import { api } from "./api.js";

export const PRIORITIES = ["VeryLow", "Low", "Medium", "High", "VeryHigh"];
export const PRIORITY_LABELS = { VeryLow: "Very low", Low: "Low", Medium: "Medium", High: "High", VeryHigh: "Very high" };
export const DATA_TYPES = ["Text", "Number", "Date", "Boolean"];
export const OWNER_TYPES = ["TargetUser", "TargetGroup"];

/** `fieldDataType` by name whether the API sent the name or the number (1 Text … 4 Boolean). */
export function dataTypeName(value) {
  if (typeof value === "number") return DATA_TYPES[value - 1] || "Text";
  const found = DATA_TYPES.find((t) => t.toLowerCase() === String(value || "").toLowerCase());
  return found || "Text";
}

/** `ownerType` by name (1 TargetUser, 2 TargetGroup). */
export function ownerTypeName(value) {
  if (typeof value === "number") return OWNER_TYPES[value - 1] || "TargetUser";
  return OWNER_TYPES.find((t) => t.toLowerCase() === String(value || "").toLowerCase()) || "TargetUser";
}

/** The company's custom fields, in their sort order. */
export async function companyCustomFields() {
  const fields = (await api.get("/custom-fields/company")) || [];
  return fields.slice().sort((a, b) => (a.sortOrder ?? 0) - (b.sortOrder ?? 0) || a.name.localeCompare(b.name));
}

/** The fields every target user has: the custom fields of owner type TargetUser, active ones. */
export async function userCustomFields() {
  return (await companyCustomFields()).filter((f) => ownerTypeName(f.ownerType) === "TargetUser" && f.isActive !== false);
}

/** Priority choices for a select. */
export const priorityChoices = () => PRIORITIES.map((p) => ({ value: p, label: PRIORITY_LABELS[p] }));

/**
 * What a source revision's summary says about its commit. A CodeConnections source writes
 * `{"ProviderType":"GitHub","CommitMessage":"..."}` (GitHub connections report no author); other sources plain text.
 */

/** The commit message and, when the source reports one, its author. */
export interface RevisionSummary {
  readonly message?: string;
  readonly author?: string;
}

/** The commit message (and author, if any) in a source revision's `revisionSummary`. */
export function parseRevisionSummary(summary: string | undefined): RevisionSummary {
  if (!summary) return {};
  try {
    const parsed = JSON.parse(summary) as Record<string, unknown>;
    if (parsed && typeof parsed === 'object' && typeof parsed.CommitMessage === 'string') {
      const author = [parsed.AuthorDisplayName, parsed.Author, parsed.AuthorName].find((a) => typeof a === 'string') as string | undefined;
      return { message: parsed.CommitMessage, author };
    }
  } catch {
    // plain text summary
  }
  return { message: summary };
}

import { QueryClient } from '@tanstack/react-query';
import { describe, expect, it } from 'vitest';
import { draft } from '../test/fixtures';
import { applyDraftToLists, draftKeys } from './list-drafts';

describe('applyDraftToLists', () => {
  it("keeps a row's question when an update (which carries none) patches it", () => {
    const queryClient = new QueryClient();
    const listed = { ...draft({ id: 'd1' }), question: 'Can I return opened medicine?' };
    queryClient.setQueryData(draftKeys.list({}), {
      pages: [{ items: [listed], next_cursor: null }],
      pageParams: [null],
    });
    applyDraftToLists(queryClient, { ...listed, question: null, confidence: 0.42 });
    const data = queryClient.getQueryData<{ pages: { items: (typeof listed)[] }[] }>(
      draftKeys.list({}),
    );
    expect(data?.pages[0].items[0]).toMatchObject({
      question: 'Can I return opened medicine?',
      confidence: 0.42,
    });
  });
});

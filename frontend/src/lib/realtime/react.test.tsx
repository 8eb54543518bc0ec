import { render, screen } from '@testing-library/react';
import { act, useState } from 'react';
import { describe, expect, it } from 'vitest';
import { FakeTransport } from '@/test/fake-transport';
import { RealtimeProvider, useRealtimeTopic } from './react';

function Typing({ topic }: { topic: string | null }) {
  const [typing, setTyping] = useState(false);
  useRealtimeTopic(topic, (event) => {
    if (event.type === 'ai.typing') setTyping(event.typing);
  });
  return <p>{typing ? 'typing' : 'idle'}</p>;
}

describe('useRealtimeTopic', () => {
  it('follows a topic while mounted and patches state from its events', () => {
    const transport = new FakeTransport();
    const { unmount } = render(
      <RealtimeProvider transport={transport}>
        <Typing topic="conversation:c1" />
      </RealtimeProvider>,
    );
    expect(transport.topics()).toEqual(['conversation:c1']);
    act(() =>
      transport.emit('conversation:c1', {
        type: 'ai.typing',
        conversation_id: 'c1',
        message_id: 'm1',
        typing: true,
      }),
    );
    expect(screen.getByText('typing')).toBeInTheDocument();
    unmount();
    expect(transport.topics()).toEqual([]);
  });

  it('follows nothing for a null topic', () => {
    const transport = new FakeTransport();
    render(
      <RealtimeProvider transport={transport}>
        <Typing topic={null} />
      </RealtimeProvider>,
    );
    expect(transport.topics()).toEqual([]);
  });
});
